"""What a donor adds to a gift for others to read: a public message for the
campaign's donor wall, and a dedication with an optional e-card.

Both hang off the gift (one of each at most) and are written with it when it
is created; they count only once the gift is paid.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Short enough to read at a glance on the wall, long enough for a sentence.
MESSAGE_MAX_LENGTH = 280
CARD_MESSAGE_MAX_LENGTH = 500
NAME_MAX_LENGTH = 120


class WallMessage(models.Model):
    """A donor's public message, shown on the wall only once approved."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting moderation")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    gift = models.OneToOneField(
        "payments.Gift",
        on_delete=models.CASCADE,
        related_name="wall_message",
        verbose_name=_("gift"),
    )
    # Plain text, one line: it is always escaped and never turned into links.
    text = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("wall message")
        verbose_name_plural = _("wall messages")
        permissions = [("moderate_message", _("Can approve or reject wall messages"))]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self):
        return f"Wall message #{self.pk}"


class Dedication(models.Model):
    """A gift made in honour or in memory of someone.

    The card fields name a third person who never agreed to be stored here:
    they are erased with the donor's erasure request (wall.services).
    """

    class Kind(models.TextChoices):
        HONOUR = "honour", _("In honour of")
        MEMORY = "memory", _("In memory of")

    gift = models.OneToOneField(
        "payments.Gift",
        on_delete=models.CASCADE,
        related_name="dedication",
        verbose_name=_("gift"),
    )
    kind = models.CharField(_("dedication"), max_length=10, choices=Kind.choices)
    honoree_name = models.CharField(
        _("in honour or memory of"), max_length=NAME_MAX_LENGTH, blank=True
    )
    recipient_name = models.CharField(
        _("card recipient"), max_length=NAME_MAX_LENGTH, blank=True
    )
    recipient_email = models.EmailField(_("card recipient's email"), blank=True)
    card_message = models.TextField(
        _("card message"), max_length=CARD_MESSAGE_MAX_LENGTH, blank=True
    )
    # Set under the row lock in the transaction that sends the card, so that
    # the card goes out once however often its task runs.
    card_sent_at = models.DateTimeField(_("card sent at"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dedication")
        verbose_name_plural = _("dedications")
        indexes = [
            # The sweep looks for cards still to send.
            models.Index(
                fields=["created_at"],
                condition=models.Q(card_sent_at__isnull=True)
                & ~models.Q(recipient_email=""),
                name="dedication_card_unsent_idx",
            )
        ]

    def __str__(self):
        return f"Dedication #{self.pk}"

    @property
    def has_card(self) -> bool:
        return bool(self.recipient_email)
