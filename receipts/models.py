from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from mecene.models import HistoryEvent


class ReceiptSequence(models.Model):
    """The last number used in one year's series of receipts.

    Locked with SELECT … FOR UPDATE by the issuing transaction, so numbers
    are consecutive and a rolled-back issue gives its number back.
    """

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("receipt sequence")
        verbose_name_plural = _("receipt sequences")

    def __str__(self):
        return f"{self.year}: {self.last_number}"


def receipt_pdf_path(receipt, filename):
    return f"receipts/{receipt.year}/{receipt.number}.pdf"


class Receipt(models.Model):
    """A French tax receipt (reçu fiscal) for a paid gift.

    Never deleted and never renumbered. ``snapshot`` freezes everything
    printed on it at issue time; the PDF is rendered from the snapshot and
    its SHA-256 kept, so later edits of the donor or gift change nothing.

    A gift may have several receipts over time, but only one issued: a
    correction cancels the receipt (number and PDF kept) and, after a partial
    refund, issues a new numbered one that ``replaces`` it.
    """

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        GIFT = "gift", _("One gift")
        ANNUAL = "annual", _("Annual summary")

    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.PositiveIntegerField(_("year"))
    sequence_number = models.PositiveIntegerField()
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.GIFT
    )
    # The gift of a one-gift receipt; empty on an annual summary, whose gifts
    # are its lines.
    gift = models.ForeignKey(
        "payments.Gift",
        on_delete=models.PROTECT,
        related_name="receipts",
        null=True,
        blank=True,
        verbose_name=_("gift"),
    )
    donor = models.ForeignKey(
        "donors.Donor",
        on_delete=models.PROTECT,
        related_name="receipts",
        null=True,
        verbose_name=_("donor"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ISSUED
    )
    amount = MoneyField(
        _("amount"), max_digits=12, decimal_places=2, default_currency="EUR"
    )
    issued_at = models.DateTimeField(_("issued at"))
    form_code = models.CharField(max_length=20)
    form_version = models.CharField(max_length=20)
    snapshot = models.JSONField()
    pdf = models.FileField(upload_to=receipt_pdf_path, max_length=200)
    pdf_sha256 = models.CharField(max_length=64)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    # Set together when the receipt is cancelled, never cleared afterwards: a
    # cancelled receipt stays cancelled, with its number and PDF.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    # The cancelled receipt this one replaces after a partial refund; same
    # year series, so the tax declaration counts the replacement instead.
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )

    class Meta:
        ordering = ["-year", "-sequence_number"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "sequence_number"], name="receipt_number_unique_in_year"
            ),
            # Two issued receipts for one gift would certify it twice.
            models.UniqueConstraint(
                fields=["gift"],
                condition=models.Q(status="issued"),
                name="receipt_one_issued_per_gift",
            ),
            # A receipt is replaced at most once; a second correction replaces
            # the replacement.
            models.UniqueConstraint(
                fields=["replaces"], name="receipt_replaced_at_most_once"
            ),
            # One issued annual summary per donor and year.
            models.UniqueConstraint(
                fields=["donor", "year"],
                condition=models.Q(status="issued", kind="annual"),
                name="receipt_one_issued_annual_per_donor_year",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="annual", gift__isnull=True)
                | models.Q(kind="gift", gift__isnull=False),
                name="receipt_gift_iff_one_gift_kind",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="issued", cancelled_at__isnull=True)
                    | models.Q(status="cancelled", cancelled_at__isnull=False)
                ),
                name="receipt_cancelled_iff_dated",
            ),
        ]

    def __str__(self):
        return self.number

    def delete(self, *args, **kwargs):
        raise models.ProtectedError("Receipts are never deleted.", {self})


class ReceiptLine(models.Model):
    """One gift covered by an annual summary receipt.

    ``active`` follows the receipt: a cancelled summary frees its gifts for
    the next one, and the constraint stops a gift being on two at once.
    """

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="lines")
    gift = models.ForeignKey(
        "payments.Gift", on_delete=models.PROTECT, related_name="receipt_lines"
    )
    amount = MoneyField(max_digits=12, decimal_places=2, default_currency="EUR")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["receipt", "pk"]
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")
        constraints = [
            models.UniqueConstraint(
                fields=["gift"],
                condition=models.Q(active=True),
                name="receipt_line_one_active_per_gift",
            ),
        ]

    def __str__(self):
        return f"{self.receipt_id}: gift #{self.gift_id}"


class ReceiptEvent(HistoryEvent):
    """Append-only trail of a receipt: issued, emailed, downloaded…"""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued")
        EMAILED = "emailed", _("Emailed")
        DOWNLOADED = "downloaded", _("Downloaded")
        CANCELLED = "cancelled", _("Cancelled")
        DUPLICATED = "duplicated", _("Duplicated")
        REPLACED = "replaced", _("Replaced")
        CANCELLATION_EMAILED = "cancellation_emailed", _("Cancellation emailed")

    receipt = models.ForeignKey(
        Receipt, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)

    class Meta(HistoryEvent.Meta):
        verbose_name = _("receipt event")
        verbose_name_plural = _("receipt events")

    def __str__(self):
        return f"{self.kind} {self.receipt_id}"
