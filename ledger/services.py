"""Changes to the ledger: closing a year, which freezes its figures."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from ledger.models import LedgerLine, LedgerYear
from ledger.selectors import LedgerError, year_ledger, year_range
from roles.audit import audit_record

logger = logging.getLogger(__name__)


def ledger_close_year(*, campaign_id: int, year: int, actor=None) -> LedgerYear:
    """Freeze ``year`` of a campaign's ledger and roll its surplus over.

    Only a year that has ended, and whose previous year is closed (or came
    before the campaign), can be closed; each year closes once. The next
    year reads its carried-in amounts from the rows written here.
    """
    campaign = Campaign.objects.get(pk=campaign_id)
    if year not in year_range(campaign):
        raise LedgerError(
            _("%(year)s is not a year of this campaign.") % {"year": year}
        )
    if year >= timezone.localdate().year:
        raise LedgerError(
            _("%(year)s has not ended yet; it can be closed from 1 January.")
            % {"year": year}
        )

    try:
        with transaction.atomic():
            if LedgerYear.objects.filter(campaign=campaign, year=year).exists():
                raise LedgerError(_("%(year)s is already closed.") % {"year": year})
            first = year_range(campaign).start
            if (
                year > first
                and not LedgerYear.objects.filter(
                    campaign=campaign, year=year - 1
                ).exists()
            ):
                raise LedgerError(
                    _("Close %(previous)s first: years close in order.")
                    % {"previous": year - 1}
                )
            ledger = year_ledger(campaign, year)
            closed = LedgerYear.objects.create(
                campaign=campaign,
                year=year,
                rule=ledger.rule,
                undesignated=ledger.undesignated,
                carried_in=ledger.carried_in,
                adjustment=ledger.adjustment,
                allocated=ledger.allocated,
                unallocated=ledger.unallocated,
                closed_by=actor,
            )
            audit_record(
                actor, "ledger.year_closed", closed,
                year=year, allocated=ledger.allocated,
                unallocated=ledger.unallocated,
            )  # fmt: skip
            LedgerLine.objects.bulk_create(
                LedgerLine(
                    ledger_year=closed,
                    beneficiary_id=row.beneficiary_id,
                    public_name=row.public_name,
                    position=row.position,
                    committed=row.committed,
                    carried_in=row.carried_in,
                    designated=row.designated,
                    adjustment=row.adjustment,
                    allocated=row.allocated,
                    funded=row.funded,
                    surplus=row.surplus,
                    state=row.state,
                )
                for row in ledger.rows
            )
    except IntegrityError:
        # Another request closed it between the check and the insert.
        raise LedgerError(_("%(year)s is already closed.") % {"year": year}) from None

    logger.info(
        "ledger year %s of campaign %s closed by user %s",
        year,
        campaign.pk,
        getattr(actor, "pk", None),
        extra={"campaign_id": campaign.pk, "ledger_year_id": closed.pk},
    )
    return closed
