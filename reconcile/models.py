"""What Stripe's balance says happened to our gifts, and what does not match.

Rows here are written only by ``reconcile.services``. Each Stripe object is
stored once under its id (a unique constraint), so a run repeated over the
same days updates rows instead of adding them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField


def _money_field(verbose_name, **kwargs):
    return MoneyField(
        verbose_name,
        max_digits=12,
        decimal_places=2,
        default_currency="EUR",
        **kwargs,
    )


class ReconciliationRun(models.Model):
    """One pass over Stripe's balance transactions and payouts of some days."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    # Paris days, both included.
    since = models.DateField(_("since"))
    until = models.DateField(_("until"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    transaction_count = models.PositiveIntegerField(_("transactions read"), default=0)
    matched_count = models.PositiveIntegerField(_("matched"), default=0)
    payout_count = models.PositiveIntegerField(_("payouts read"), default=0)
    mismatch_count = models.PositiveIntegerField(_("mismatches found"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        permissions = [("run_reconciliation", _("Can start a Stripe reconciliation"))]
        constraints = [
            # One run at a time: two would race on the same Stripe objects.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="running"),
                name="reconcile_one_running_run",
            ),
            models.CheckConstraint(
                condition=models.Q(since__lte=models.F("until")),
                name="reconcile_run_since_before_until",
            ),
        ]

    def __str__(self):
        return f"Reconciliation #{self.pk} ({self.since} – {self.until})"


class Payout(models.Model):
    """Money Stripe sent from our balance to the foundation's bank account."""

    stripe_payout_id = models.CharField(_("Stripe payout"), max_length=255, unique=True)
    amount = _money_field(_("amount"))
    status = models.CharField(_("status"), max_length=20)
    automatic = models.BooleanField(_("automatic"), default=True)
    created_at = models.DateTimeField(_("created at"))
    arrival_at = models.DateTimeField(_("arrives on"))
    # Charges, refunds and fees behind the payout, as Stripe listed them:
    # their sum must equal ``amount``.
    transactions_net = _money_field(_("transactions' net"), null=True, blank=True)
    last_run = models.ForeignKey(
        ReconciliationRun,
        on_delete=models.PROTECT,
        related_name="payouts",
        verbose_name=_("last seen by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")

    def __str__(self):
        return self.stripe_payout_id


class Settlement(models.Model):
    """Common fields of a balance transaction we matched to our records."""

    stripe_balance_transaction_id = models.CharField(
        _("Stripe balance transaction"), max_length=255, unique=True
    )
    # Gross amount (negative for a refund), Stripe's fee, and what moved in
    # the balance: net = amount - fee, each in the transaction's currency.
    amount = _money_field(_("amount"))
    fee = _money_field(_("Stripe fee"))
    net = _money_field(_("net"))
    stripe_created_at = models.DateTimeField(_("at Stripe on"))
    available_at = models.DateTimeField(_("available on"))
    payout = models.ForeignKey(
        Payout,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
        verbose_name=_("payout"),
    )
    run = models.ForeignKey(
        ReconciliationRun,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        verbose_name=_("found by"),
    )

    class Meta:
        abstract = True


class GiftSettlement(Settlement):
    """What Stripe kept and paid out of one gift's charge."""

    gift = models.OneToOneField(
        "payments.Gift",
        on_delete=models.PROTECT,
        related_name="settlement",
        verbose_name=_("gift"),
    )
    stripe_charge_id = models.CharField(_("Stripe charge"), max_length=255)

    class Meta:
        ordering = ["-stripe_created_at", "-pk"]
        verbose_name = _("gift settlement")
        verbose_name_plural = _("gift settlements")

    def __str__(self):
        return f"Settlement of gift #{self.gift_id}"


class RefundSettlement(Settlement):
    """What one refund took out of the Stripe balance."""

    refund = models.OneToOneField(
        "payments.Refund",
        on_delete=models.PROTECT,
        related_name="settlement",
        verbose_name=_("refund"),
    )

    class Meta:
        ordering = ["-stripe_created_at", "-pk"]
        verbose_name = _("refund settlement")
        verbose_name_plural = _("refund settlements")

    def __str__(self):
        return f"Settlement of refund #{self.refund_id}"


class Mismatch(models.Model):
    """Something Stripe and our records disagree on, for a person to settle."""

    class Kind(models.TextChoices):
        CHARGE_WITHOUT_GIFT = "charge_without_gift", _("Stripe charge without a gift")
        GIFT_WITHOUT_CHARGE = "gift_without_charge", _("Paid gift without a charge")
        AMOUNT_MISMATCH = "amount_mismatch", _("Amounts differ")
        CHARGE_FOR_UNPAID_GIFT = (
            "charge_for_unpaid_gift",
            _("Stripe charge for a gift not marked paid"),
        )
        SECOND_CHARGE = "second_charge", _("Second charge for one gift")
        REFUND_WITHOUT_RECORD = (
            "refund_without_record",
            _("Stripe refund without a record"),
        )
        PAYOUT_MISMATCH = "payout_mismatch", _("Payout differs from its transactions")
        OTHER_TRANSACTION = "other_transaction", _("Other balance transaction")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    # What the mismatch is about, stable across runs: a Stripe id, or
    # "gift:<id>" for a gift Stripe has no charge for.
    key = models.CharField(_("about"), max_length=255)
    gift = models.ForeignKey(
        "payments.Gift",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gift"),
    )
    expected = _money_field(_("expected"), null=True, blank=True)
    actual = _money_field(_("in Stripe"), null=True, blank=True)
    first_run = models.ForeignKey(
        ReconciliationRun,
        on_delete=models.PROTECT,
        related_name="mismatches",
        verbose_name=_("found by"),
    )
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)
    resolved = models.BooleanField(_("resolved"), default=False)
    resolved_note = models.TextField(_("note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["resolved", "-found_at", "-pk"]
        verbose_name = _("mismatch")
        verbose_name_plural = _("mismatches")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"], name="reconcile_mismatch_once"
            ),
            models.CheckConstraint(
                condition=models.Q(resolved=False) | ~models.Q(resolved_note=""),
                name="reconcile_resolved_has_note",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.key}"
