from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from donors.countries import COUNTRIES
from donors.models import Donor


class Batch(models.Model):
    """A pile of cheques, transfers and cash gifts that staff key in together.

    Staff count the pile and add it up before typing it (the bank deposit
    slip or the day's statement), so the batch carries both figures and
    cannot be posted until its lines agree with them. One batch goes to one
    campaign, so every amount in it is in that campaign's currency.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        POSTED = "posted", _("Posted")

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="offline_batches",
        verbose_name=_("campaign"),
    )
    label = models.CharField(
        _("label"),
        max_length=120,
        blank=True,
        help_text=_("For example the deposit slip number."),
    )
    expected_count = models.PositiveIntegerField(
        _("expected number of gifts"),
        help_text=_("Counted on the pile before typing it in."),
    )
    expected_total = MoneyField(
        _("expected total"),
        max_digits=14,
        decimal_places=2,
        default_currency="EUR",
        help_text=_("Added up on the pile before typing it in."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("posted by"),
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("batch of offline gifts")
        verbose_name_plural = _("batches of offline gifts")
        permissions = [("post_batch", _("Can post batches of offline gifts"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expected_total__gt=0),
                name="batch_expected_total_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(posted_at__isnull=False),
                name="batch_posted_has_posted_at",
            ),
        ]

    def __str__(self):
        return f"Batch #{self.pk}"


class BatchLine(models.Model):
    """One cheque, transfer or cash gift of a batch, as staff typed it.

    The donor's details are those the donate form asks for, because the
    receipt needs them all. Posting turns the line into a paid gift and
    keeps a link to it.
    """

    class Method(models.TextChoices):
        CHEQUE = "cheque", _("Cheque")
        TRANSFER = "transfer", _("Bank transfer")
        CASH = "cash", _("Cash")

    class DonorChoice(models.TextChoices):
        UNDECIDED = "", _("Decide when posting (refused if a match exists)")
        EXISTING = "existing", _("Use the existing donor chosen below")
        NEW = "new", _("A new donor")

    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, related_name="lines", verbose_name=_("batch")
    )
    method = models.CharField(_("payment method"), max_length=10, choices=Method)
    amount = MoneyField(
        _("amount"), max_digits=12, decimal_places=2, default_currency="EUR"
    )
    # The day that dates the gift for tax (docs/receipts.md): a cheque or cash
    # handed over or its letter received, a transfer credited (value date).
    received_on = models.DateField(
        _("received on"),
        help_text=_(
            "Cheque or cash: the day it was handed over or its letter arrived. "
            "Transfer: the value date on the bank statement."
        ),
    )
    cheque_number = models.CharField(_("cheque number"), max_length=30, blank=True)
    cheque_bank = models.CharField(_("bank"), max_length=120, blank=True)
    cheque_date = models.DateField(_("date on the cheque"), null=True, blank=True)
    transfer_reference = models.CharField(
        _("transfer reference"), max_length=140, blank=True
    )
    beneficiary = models.ForeignKey(
        "campaigns.Beneficiary",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("beneficiary"),
        help_text=_("Only when the donor named one."),
    )

    kind = models.CharField(_("donor type"), max_length=10, choices=Donor.Kind)
    first_name = models.CharField(_("first name(s)"), max_length=120, blank=True)
    last_name = models.CharField(_("last name"), max_length=120, blank=True)
    company_name = models.CharField(_("company legal name"), max_length=200, blank=True)
    legal_form = models.CharField(_("legal form"), max_length=60, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    email = models.EmailField(
        _("email"),
        blank=True,
        help_text=_("Needed for a new donor: receipts are sent by email."),
    )
    address_line = models.CharField(_("address"), max_length=250)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=120)
    country = models.CharField(
        _("country"), max_length=2, choices=COUNTRIES, default="FR"
    )
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=[("fr", "Français"), ("en", "English")],
        default="fr",
    )
    taxed_in_france = models.BooleanField(_("taxed in France"), default=True)
    receipt_preference = models.CharField(
        _("receipts"),
        max_length=10,
        choices=Donor._meta.get_field("receipt_preference").choices,
        default="per_gift",
    )

    # A cheque or a transfer carries no consent to be named on public pages,
    # unlike the donate form's box; staff untick this when the donor agreed.
    anonymous = models.BooleanField(
        _("anonymous"),
        default=True,
        help_text=_("Never show the donor's name publicly."),
    )

    donor_choice = models.CharField(
        _("donor"), max_length=10, choices=DonorChoice, blank=True
    )
    donor = models.ForeignKey(
        "donors.Donor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("existing donor"),
    )
    gift = models.OneToOneField(
        "payments.Gift",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offline_line",
        verbose_name=_("gift"),
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("offline gift")
        verbose_name_plural = _("offline gifts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="batch_line_amount_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(method="cheque")
                | models.Q(cheque_date__isnull=False),
                name="batch_line_cheque_has_date",
            ),
        ]

    def __str__(self):
        return f"Line #{self.pk} of batch #{self.batch_id}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from offline.checks import line_problems

        problems = line_problems(self)
        if problems:
            raise ValidationError(problems)
