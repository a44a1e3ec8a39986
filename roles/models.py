from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from roles.encoding import AuditJSONEncoder


class AuditEntry(models.Model):
    """One staff action on money, receipts or roles; rows are only added.

    PostgreSQL refuses any UPDATE or DELETE of a row (a trigger, migration
    0002), and the admin shows the table read-only. ``data`` holds ids,
    amounts and flags, never names, emails or addresses. Details a gift's or
    a receipt's own history already records stay there: the entry points to
    that event (``data["event"]``) instead of copying it.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    # PROTECT: a person who acted stays; deactivate accounts instead.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    # "payments.gift", "receipts.receipt", "auth.group"…; empty for an action
    # on no single object (an export of a year).
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    data = models.JSONField(
        _("details"), default=dict, blank=True, encoder=AuditJSONEncoder
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        # Nothing may add, change or delete an entry by hand.
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx")
        ]

    def __str__(self):
        return f"{self.action} #{self.pk}"
