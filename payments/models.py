import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from mecene.models import HistoryEvent


def euro_share(amount: Decimal, kept: Decimal, amount_eur: Decimal) -> Decimal:
    """The euros of ``kept`` out of a foreign ``amount`` worth ``amount_eur``.

    The same share of the euro value as of the amount; the one formula for
    receipts and totals, so that they agree to the cent.
    """
    return (amount_eur * (kept / amount)).quantize(Decimal("0.01"))


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
    token = models.UUIDField(
        _("public id"), default=uuid.uuid4, unique=True, editable=False
    )
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
    # The donor's details as typed with this gift; they replace the donor's
    # stored details only once the gift is paid.
    donor_details = models.JSONField(_("details given"), default=dict, blank=True)
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

    stripe_customer_id = models.CharField(
        _("Stripe customer"), max_length=255, blank=True
    )
    stripe_setup_intent_id = models.CharField(
        _("Stripe SetupIntent"), max_length=255, blank=True
    )
    stripe_payment_method_id = models.CharField(
        _("Stripe payment method"), max_length=255, blank=True
    )
    stripe_payment_intent_id = models.CharField(
        _("Stripe PaymentIntent"), max_length=255, blank=True
    )
    stripe_charge_id = models.CharField(_("Stripe charge"), max_length=255, blank=True)
    failure_code = models.CharField(_("failure code"), max_length=100, blank=True)

    # A payment of a monthly gift: the plan it belongs to and the month it
    # pays for ("2026-12"). One gift per plan and month, enforced below, is
    # what makes a second scheduler run unable to charge a month twice.
    recurring = models.ForeignKey(
        "payments.RecurringGift",
        on_delete=models.PROTECT,
        related_name="gifts",
        null=True,
        blank=True,
        verbose_name=_("monthly gift"),
    )
    period = models.CharField(_("month paid for"), max_length=7, blank=True)
    # The UTM tags of the link that brought the donor (campaigns/sources.py);
    # a monthly gift's payments keep those of its first.
    utm_source = models.CharField(_("source (UTM)"), max_length=60, blank=True)
    utm_medium = models.CharField(_("medium (UTM)"), max_length=60, blank=True)
    utm_campaign = models.CharField(_("campaign tag (UTM)"), max_length=60, blank=True)
    mandate = models.ForeignKey(
        "payments.Mandate",
        on_delete=models.PROTECT,
        related_name="gifts",
        null=True,
        blank=True,
        verbose_name=_("SEPA mandate"),
    )
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
    # As the ECB publishes it: units of the gift's currency for 1 EUR.
    fx_rate = models.DecimalField(
        _("exchange rate (per euro)"),
        max_digits=18,
        decimal_places=8,
        null=True,
        blank=True,
    )

    # Sum of the refunds made so far (by staff or in Stripe's dashboard), in
    # the gift's currency; moved only by payments.refunds under the row lock.
    refunded_amount = MoneyField(
        _("refunded"),
        max_digits=12,
        decimal_places=2,
        default=0,
        default_currency="EUR",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        permissions = [("refund_gift", _("Can refund gifts"))]
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
            models.UniqueConstraint(
                fields=["recurring", "period"],
                condition=models.Q(recurring__isnull=False),
                name="gift_one_per_recurring_period",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["paid_at"]),
            models.Index(
                fields=["campaign", "-paid_at"], name="gift_campaign_paid_at_idx"
            ),
        ]

    def __str__(self):
        return f"Gift #{self.pk}"

    def save(self, *args, **kwargs):
        # Refunds are counted in the gift's own currency.
        if self.refunded_amount.currency != self.amount.currency:
            if self.refunded_amount.amount:
                raise ValueError("refunded amount and gift amount differ in currency")
            self.refunded_amount = Money(0, self.amount.currency)
        super().save(*args, **kwargs)

    @property
    def tax_date(self):
        """The date that dates the gift for tax purposes (Europe/Paris)."""
        if self.received_on:
            return self.received_on
        return timezone.localtime(self.paid_at).date() if self.paid_at else None

    @property
    def period_label(self) -> str:
        """The month a monthly payment is for, in words ("December 2026")."""
        if not self.period:
            return ""
        from datetime import date

        from django.utils.formats import date_format

        year, month = (int(part) for part in self.period.split("-"))
        return date_format(date(year, month, 1), "F Y")

    @property
    def net_amount(self):
        """What the foundation keeps: the amount less refunds."""
        return self.amount - self.refunded_amount

    @property
    def receipt_amount(self):
        """The euro amount a receipt certifies (net of refunds), or None."""
        return self.euro_value(self.net_amount.amount)

    def euro_value(self, kept: Decimal):
        """The euro value of ``kept`` (in the gift's currency), or None.

        From the stored euro amount only, never from a rate read again, so
        receipts and campaign totals give the same cents whenever asked.
        """
        if str(self.amount.currency) == "EUR":
            return Money(kept, "EUR")
        if self.amount_eur is None:
            return None
        return Money(
            euro_share(self.amount.amount, kept, self.amount_eur.amount), "EUR"
        )


class Refund(models.Model):
    """Money given back on a gift, by staff here or in Stripe's dashboard."""

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff, in Mécène")
        STRIPE = "stripe", _("Stripe dashboard")
        DISPUTE = "dispute", _("Dispute lost")
        MANUAL = "manual", _("Outside Stripe (transfer, cheque)")

    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="refunds")
    amount = MoneyField(
        _("amount"), max_digits=12, decimal_places=2, default_currency="EUR"
    )
    reason = models.TextField(_("reason"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    # The refund form's one-time id: the same form sent twice (a double
    # click, a reload, two tabs) makes one refund.
    request_id = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_refund_id"],
                condition=~models.Q(stripe_refund_id=""),
                name="refund_stripe_id_unique",
            ),
            models.UniqueConstraint(
                fields=["request_id"],
                condition=~models.Q(request_id=""),
                name="refund_request_id_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="refund_positive"
            ),
        ]

    def __str__(self):
        return f"Refund #{self.pk} of gift #{self.gift_id}"


class GiftEvent(HistoryEvent):
    """Append-only history of what happened to a gift and who did it."""

    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("what"), max_length=40)

    class Meta(HistoryEvent.Meta):
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


class Mandate(models.Model):
    """A SEPA Direct Debit mandate, as the donor accepted it on our page.

    The wording is stored as shown, in the language shown, with the moment
    of acceptance: what a bank asks for when a debit is contested. Only the
    country and the last four characters of the IBAN are kept here; the
    account itself is held by Stripe.
    """

    donor = models.ForeignKey(
        "donors.Donor",
        on_delete=models.PROTECT,
        related_name="mandates",
        verbose_name=_("donor"),
    )
    text = models.TextField(_("wording accepted"))
    language = models.CharField(_("language"), max_length=2)
    accepted_at = models.DateTimeField(_("accepted at"))
    iban_country = models.CharField(_("account country"), max_length=2)
    iban_last4 = models.CharField(_("account ends with"), max_length=4)
    stripe_payment_method_id = models.CharField(
        _("Stripe payment method"), max_length=255, blank=True
    )
    reference = models.CharField(_("mandate reference"), max_length=64, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("SEPA mandate")
        verbose_name_plural = _("SEPA mandates")

    def __str__(self):
        return f"Mandate #{self.pk} ({self.iban_country}…{self.iban_last4})"


class RecurringGift(models.Model):
    """A monthly gift: the donor's promise, charged by our own scheduler.

    Each month's payment is a ``Gift`` pointing here with its ``period``;
    receipts, refunds and totals treat it like any other gift. The plan
    holds what the next charge needs (amount, Stripe customer and payment
    method) and where the schedule stands (next date, retries after a
    decline). Every change goes through ``payments.recurring``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the first payment")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        STOPPED = "stopped", _("Stopped")

    class PauseReason(models.TextChoices):
        NONE = "", _("—")
        DONOR = "donor", _("Paused by the donor")
        DECLINED = "declined", _("Payments declined")

    token = models.UUIDField(
        _("public id"), default=uuid.uuid4, unique=True, editable=False
    )
    donor = models.ForeignKey(
        "donors.Donor",
        on_delete=models.PROTECT,
        related_name="recurring_gifts",
        verbose_name=_("donor"),
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="recurring_gifts",
        verbose_name=_("campaign"),
    )
    beneficiary = models.ForeignKey(
        "campaigns.Beneficiary",
        on_delete=models.SET_NULL,
        related_name="recurring_gifts",
        null=True,
        blank=True,
        verbose_name=_("beneficiary"),
    )
    amount = MoneyField(
        _("monthly amount"), max_digits=12, decimal_places=2, default_currency="EUR"
    )
    method = models.CharField(
        _("payment method"), max_length=10, choices=Gift.Method.choices
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    pause_reason = models.CharField(
        _("why paused"),
        max_length=10,
        choices=PauseReason.choices,
        default=PauseReason.NONE,
        blank=True,
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    language = models.CharField(_("language"), max_length=2, default="fr")
    # The day of the month payments are taken (the first payment's day,
    # capped at 28 so that every month has it).
    utm_source = models.CharField(_("source (UTM)"), max_length=60, blank=True)
    utm_medium = models.CharField(_("medium (UTM)"), max_length=60, blank=True)
    utm_campaign = models.CharField(_("campaign tag (UTM)"), max_length=60, blank=True)
    charge_day = models.PositiveSmallIntegerField(_("day of the month"), default=1)
    next_charge_on = models.DateField(_("next payment on"), null=True, blank=True)
    # After a decline: how many tries the current month has had, and when the
    # next one is due (empty when no retry is pending).
    failed_tries = models.PositiveSmallIntegerField(_("failed tries"), default=0)
    retry_on = models.DateField(_("retry on"), null=True, blank=True)
    stripe_customer_id = models.CharField(
        _("Stripe customer"), max_length=255, blank=True
    )
    stripe_payment_method_id = models.CharField(
        _("Stripe payment method"), max_length=255, blank=True
    )
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    mandate = models.ForeignKey(
        Mandate,
        on_delete=models.PROTECT,
        related_name="recurring_gifts",
        null=True,
        blank=True,
        verbose_name=_("SEPA mandate"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    started_at = models.DateTimeField(_("first payment at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("monthly gift")
        verbose_name_plural = _("monthly gifts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="recurring_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(charge_day__gte=1, charge_day__lte=28),
                name="recurring_charge_day_range",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_charge_on"]),
            models.Index(fields=["status", "retry_on"]),
        ]

    def __str__(self):
        return f"Monthly gift #{self.pk}"

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.PAUSED)


class RecurringEvent(HistoryEvent):
    """Append-only history of a monthly gift: changes, pauses, notices."""

    recurring = models.ForeignKey(
        RecurringGift, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("what"), max_length=40)

    class Meta(HistoryEvent.Meta):
        verbose_name = _("monthly gift event")
        verbose_name_plural = _("monthly gift events")

    def __str__(self):
        return f"{self.kind} on monthly gift #{self.recurring_id}"


class RecurringNotice(models.Model):
    """An email a monthly gift owes its donor, recorded before it is sent.

    ``key`` says which occasion (the month for an authentication request,
    the card's expiry month for an expiry notice), so that an occasion is
    mailed once however often the scheduler or its task runs.
    """

    class Kind(models.TextChoices):
        AUTHENTICATE = "authenticate", _("Authentication needed")
        DECLINED = "declined", _("Payment declined, will retry")
        PAUSED = "paused", _("Paused after declines")
        CARD_EXPIRING = "card_expiring", _("Card about to expire")
        FIRST_FAILED = "first_failed", _("First payment refused by the bank")

    recurring = models.ForeignKey(
        RecurringGift, on_delete=models.PROTECT, related_name="notices"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=40)
    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recurring", "kind", "key"], name="recurring_notice_once"
            )
        ]

    def __str__(self):
        return f"{self.kind} notice for monthly gift #{self.recurring_id}"
