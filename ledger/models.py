"""The scholarship ledger: what each beneficiary was promised and got, per year.

Open years are computed from the gifts each time they are read
(ledger.selectors). Closing a year stores its figures here, frozen: a
LedgerYear for the campaign and one LedgerLine per beneficiary. Rows are
written once, by ledger.services, and never updated (docs/ledger.md).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField


def _money(label):
    return MoneyField(label, max_digits=14, decimal_places=2, default_currency="EUR")


class FundingState(models.TextChoices):
    FUNDED = "funded", _("Funded")
    PARTLY_FUNDED = "partly_funded", _("Partly funded")
    OVER_FUNDED = "over_funded", _("Over-funded")


class AllocationRule(models.TextChoices):
    EVEN = "even", _("Even split")
    IN_ORDER = "in_order", _("Fill in order")


class Commitment(models.Model):
    """The bourse promised to a beneficiary for one year, when it differs
    from their usual yearly bourse (a half year, a raise, a pause)."""

    beneficiary = models.ForeignKey(
        "campaigns.Beneficiary",
        on_delete=models.CASCADE,
        related_name="commitments",
        verbose_name=_("beneficiary"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    # In the campaign's currency, as every ledger figure.
    amount = _money(_("bourse committed"))

    class Meta:
        ordering = ["beneficiary", "year"]
        verbose_name = _("committed bourse")
        verbose_name_plural = _("committed bourses")
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary", "year"], name="commitment_one_per_year"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="commitment_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.beneficiary} {self.year}: {self.amount}"

    def clean(self):
        campaign = self.beneficiary.campaign if self.beneficiary_id else None
        if campaign and str(self.amount.currency) != campaign.currency:
            raise ValidationError(
                {
                    "amount": _("Enter the bourse in the campaign's currency, %(c)s.")
                    % {"c": campaign.currency}
                }
            )
        if campaign and self.year < campaign.starts_on.year:
            raise ValidationError(
                {
                    "year": _("The campaign starts in %(y)s.")
                    % {"y": campaign.starts_on.year}
                }
            )


class LedgerYear(models.Model):
    """A closed year of a campaign's ledger, with its undesignated money.

    ``undesignated`` is the undesignated gifts dated in the year as valued at
    closing; ``carried_in`` the previous year's unallocated surplus;
    ``adjustment`` the late changes to earlier closed years that this year
    absorbed; ``allocated`` what went to beneficiaries; ``unallocated`` what
    was left and rolls into the next year.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="ledger_years",
        verbose_name=_("campaign"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    rule = models.CharField(
        _("allocation rule"), max_length=10, choices=AllocationRule.choices
    )
    undesignated = _money(_("undesignated gifts"))
    carried_in = _money(_("carried in"))
    adjustment = _money(_("late adjustment"))
    allocated = _money(_("allocated"))
    unallocated = _money(_("unallocated surplus"))
    closed_at = models.DateTimeField(_("closed at"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("closed by"),
    )

    class Meta:
        ordering = ["campaign", "-year"]
        verbose_name = _("closed ledger year")
        verbose_name_plural = _("closed ledger years")
        permissions = [("close_year", _("Can close a ledger year"))]
        constraints = [
            # Also what stops two staff members closing the same year twice.
            models.UniqueConstraint(
                fields=["campaign", "year"], name="ledger_year_closed_once"
            ),
        ]

    def __str__(self):
        return f"{self.campaign.slug} {self.year}"


class LedgerLine(models.Model):
    """One beneficiary's frozen figures in a closed year.

    ``funded`` = carried_in + designated + adjustment + allocated;
    ``surplus`` is what exceeded the bourse and rolls into the next year.
    """

    ledger_year = models.ForeignKey(
        LedgerYear, on_delete=models.PROTECT, related_name="lines"
    )
    beneficiary = models.ForeignKey(
        "campaigns.Beneficiary",
        on_delete=models.PROTECT,
        related_name="ledger_lines",
        verbose_name=_("beneficiary"),
    )
    # The name and order as they were at closing, so a renamed or reordered
    # beneficiary does not rewrite a closed year.
    public_name = models.CharField(_("public name"), max_length=120)
    position = models.PositiveSmallIntegerField(default=0)
    committed = _money(_("bourse committed"))
    carried_in = _money(_("carried in"))
    designated = _money(_("designated gifts"))
    adjustment = _money(_("late adjustment"))
    allocated = _money(_("allocated"))
    funded = _money(_("funded"))
    surplus = _money(_("surplus"))
    state = models.CharField(_("state"), max_length=15, choices=FundingState.choices)

    class Meta:
        ordering = ["ledger_year", "position", "pk"]
        verbose_name = _("ledger line")
        verbose_name_plural = _("ledger lines")
        constraints = [
            models.UniqueConstraint(
                fields=["ledger_year", "beneficiary"], name="ledger_line_once"
            ),
        ]

    def __str__(self):
        return f"{self.public_name} {self.ledger_year.year}"
