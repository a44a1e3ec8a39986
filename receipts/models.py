from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField


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
    """

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.PositiveIntegerField(_("year"))
    sequence_number = models.PositiveIntegerField()
    gift = models.OneToOneField(
        "payments.Gift", on_delete=models.PROTECT, related_name="receipt"
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

    class Meta:
        ordering = ["-year", "-sequence_number"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "sequence_number"], name="receipt_number_unique_in_year"
            ),
        ]

    def __str__(self):
        return self.number

    def delete(self, *args, **kwargs):
        raise models.ProtectedError("Receipts are never deleted.", {self})


class ReceiptEvent(models.Model):
    """Append-only trail of a receipt: issued, emailed, downloaded…"""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued")
        EMAILED = "emailed", _("Emailed")
        DOWNLOADED = "downloaded", _("Downloaded")

    receipt = models.ForeignKey(
        Receipt, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("receipt event")
        verbose_name_plural = _("receipt events")

    def __str__(self):
        return f"{self.kind} {self.receipt_id}"
