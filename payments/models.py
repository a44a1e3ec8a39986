import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField


class Gift(models.Model):
    """One gift: a sum of money a donor gives to a campaign.

    Status moves pending → paid or failed, and paid → refunded; every move
    goes through payments.services under a row lock and leaves a GiftEvent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        SEPA = "sepa", _("SEPA direct debit")
        TRANSFER = "transfer", _("Bank transfer")
        CHEQUE = "cheque", _("Cheque")
        CASH = "cash", _("Cash")

    # Opaque id for URLs the donor sees; the integer id stays internal.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    donor = models.ForeignKey(
        "donors.Donor",
        on_delete=models.PROTECT,
        related_name="gifts",
        verbose_name=_("donor"),
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="gifts",
        verbose_name=_("campaign"),
    )
    beneficiary = models.ForeignKey(
        "campaigns.Beneficiary",
        on_delete=models.PROTECT,
        related_name="gifts",
        null=True,
        blank=True,
        verbose_name=_("beneficiary"),
        help_text=_("Empty when the gift goes to the campaign as a whole."),
    )
    amount = MoneyField(
        _("amount"), max_digits=12, decimal_places=2, default_currency="EUR"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    method = models.CharField(
        _("payment method"), max_length=10, choices=Method.choices, default=Method.CARD
    )
    anonymous = models.BooleanField(
        _("anonymous"),
        default=False,
        help_text=_("Never show the donor's name publicly."),
    )
    language = models.CharField(_("language"), max_length=2, default="fr")
    # How the gift is receipted, decided when it is made from the donor's
    # answers: its own receipt, the donor's annual summary, or none (donor not
    # taxed in France).
    receipt_mode = models.CharField(
        _("receipt"),
        max_length=10,
        choices=[
            ("per_gift", _("Its own receipt")),
            ("annual", _("Annual summary")),
            ("none", _("No French receipt")),
        ],
        default="per_gift",
    )
    # What the donor received in return (a dinner seat, a book), valued by
    # staff. Above the legal limits the gift's receipt is held for review.
    counterpart_value = MoneyField(
        _("counterpart value"),
        max_digits=12,
        decimal_places=2,
        default=0,
        default_currency="EUR",
    )
    # When a gift without its own receipt was thanked by email (a receipted
    # gift is thanked with its receipt).
    thanked_at = models.DateTimeField(_("thanked at"), null=True, blank=True)

    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_setup_intent_id = models.CharField(max_length=255, blank=True)
    stripe_payment_method_id = models.CharField(max_length=255, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    failure_code = models.CharField(max_length=100, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # When Stripe reported the charge successful (UTC in the database; shown
    # and exported in Europe/Paris).
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # The day the money reached the foundation when staff know it (a cheque
    # received, a transfer credited): receipts date the gift by it. Otherwise
    # the Paris date of ``paid_at`` stands for it (docs/receipts.md).
    received_on = models.DateField(_("received on"), null=True, blank=True)
    # Receipts are in euros: a gift in another currency keeps the rate used
    # and its euro value at the gift date, never converted again later.
    amount_eur = MoneyField(
        _("amount in euros"),
        max_digits=12,
        decimal_places=2,
        default_currency="EUR",
        null=True,
        blank=True,
    )
    fx_rate = models.DecimalField(
        _("exchange rate to EUR"),
        max_digits=18,
        decimal_places=8,
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_payment_intent_id"],
                condition=~models.Q(stripe_payment_intent_id=""),
                name="gift_payment_intent_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="gift_amount_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="paid") | models.Q(paid_at__isnull=False),
                name="gift_paid_has_paid_at",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["paid_at"]),
        ]

    def __str__(self):
        return f"Gift #{self.pk}"

    @property
    def tax_date(self):
        """The date that dates the gift for tax purposes (Europe/Paris)."""
        if self.received_on:
            return self.received_on
        return timezone.localtime(self.paid_at).date() if self.paid_at else None

    @property
    def receipt_amount(self):
        """The euro amount a receipt certifies, or None if it is not known."""
        if str(self.amount.currency) == "EUR":
            return self.amount
        return self.amount_eur


class GiftEvent(models.Model):
    """Append-only history of what happened to a gift and who did it."""

    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=40)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("gift event")
        verbose_name_plural = _("gift events")

    def __str__(self):
        return f"{self.kind} on gift #{self.gift_id}"


class StripeEvent(models.Model):
    """Each webhook event Stripe sent, stored once under its id.

    The unique id is the dedupe: a redelivered or concurrent copy of an
    event finds the row and does nothing.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    stripe_object_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    handler_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")

    def __str__(self):
        return self.stripe_event_id
