from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HistoryEvent(models.Model):
    """One line of an append-only history: what happened, when, by whom.

    Rows are only ever added; the admin shows them read-only. ``actor`` is
    empty for what the system did on its own (a webhook, a task).
    """

    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("by"),
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]
