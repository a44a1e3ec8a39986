"""Reads of the scholarship ledger: one campaign's figures for one year.

An open year is computed from SQL sums of the gifts (one query per kind of
money, never a loop over gifts); a closed year is read back from its frozen
rows. docs/ledger.md explains every figure.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, DecimalField, F, Max, Min, Q, Sum, When
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from campaigns.models import Campaign
from ledger.allocation import allocate
from ledger.models import (
    AllocationRule,
    Commitment,
    FundingState,
    LedgerLine,
    LedgerYear,
)
from payments.currency import decimal_places
from payments.models import Gift

PARIS = ZoneInfo("Europe/Paris")
# A fully refunded gift is worth nothing net; it is kept in the sums so that
# a refund after closing shows up as a change (docs/ledger.md).
COUNTED_STATUSES = (Gift.Status.PAID, Gift.Status.REFUNDED)
# How long public pages may show a beneficiary's progress before it is
# computed again.
PUBLIC_PROGRESS_SECONDS = 300
_AMOUNT = DecimalField(max_digits=16, decimal_places=2)


class LedgerError(ValueError):
    """The ledger cannot be computed or changed; the message says why."""


def _gift_value(currency: str):
    """A gift's worth in the campaign's currency, as an SQL expression.

    Net of refunds in the gift's own currency when it is the campaign's;
    otherwise the euro amount its receipt certifies (the same share of its
    recorded euro value as of its amount is kept, rounded to the cent).
    """
    net = F("amount") - F("refunded_amount")
    return Case(
        When(amount_currency=currency, then=net),
        default=Round(F("amount_eur") * net / F("amount"), 2),
        output_field=_AMOUNT,
    )


def _dated_in_years(first: int, last: int) -> Q:
    """Gifts whose tax date (received_on, else paid_at in Paris) falls in the
    years first..last; written as ranges so the indexes serve."""
    received = Q(
        received_on__gte=date(first, 1, 1), received_on__lte=date(last, 12, 31)
    )
    paid = Q(
        received_on__isnull=True,
        paid_at__gte=datetime(first, 1, 1, tzinfo=PARIS),
        paid_at__lt=datetime(last + 1, 1, 1, tzinfo=PARIS),
    )
    return received | paid


def _received_by_beneficiary(campaign, first: int, last: int) -> dict:
    """Money of the years first..last per beneficiary id (None: undesignated)."""
    known = set(campaign.beneficiaries.values_list("pk", flat=True))
    rows = (
        Gift.objects.filter(
            _dated_in_years(first, last),
            campaign=campaign,
            status__in=COUNTED_STATUSES,
        )
        .values("beneficiary_id")
        .annotate(total=Sum(_gift_value(campaign.currency)))
        .order_by()
        .values_list("beneficiary_id", "total")
    )
    sums = {}
    for beneficiary_id, total in rows:
        # A gift tied to another campaign's beneficiary still counts here,
        # as undesignated money, so that the totals reconcile.
        key = beneficiary_id if beneficiary_id in known else None
        # None when no gift of the group has a euro value yet.
        sums[key] = sums.get(key, Decimal(0)) + (total or 0)
    return sums


def _late_changes(campaign) -> dict:
    """How much the gifts of the closed years differ today from their frozen
    figures, less what later closed years already absorbed; per beneficiary
    id, None for undesignated money."""
    span = LedgerYear.objects.filter(campaign=campaign).aggregate(
        first=Min("year"), last=Max("year")
    )
    if span["first"] is None:
        return {}
    live = _received_by_beneficiary(campaign, span["first"], span["last"])
    frozen = (
        LedgerLine.objects.filter(ledger_year__campaign=campaign)
        .values("beneficiary_id")
        .annotate(total=Sum("designated") + Sum("adjustment"))
        .order_by()
        .values_list("beneficiary_id", "total")
    )
    pool = LedgerYear.objects.filter(campaign=campaign).aggregate(
        total=Sum("undesignated") + Sum("adjustment")
    )
    changes = dict(live)
    for beneficiary_id, total in [*frozen, (None, pool["total"])]:
        changes[beneficiary_id] = changes.get(beneficiary_id, Decimal(0)) - total
    return changes


def funding_state(funded: Money, committed: Money) -> str:
    if funded > committed:
        return FundingState.OVER_FUNDED
    if funded == committed:
        return FundingState.FUNDED
    return FundingState.PARTLY_FUNDED


@dataclass
class LedgerRow:
    """One beneficiary's year; every amount in the campaign's currency."""

    beneficiary_id: int
    public_name: str
    position: int
    committed: Money
    carried_in: Money
    designated: Money
    adjustment: Money
    allocated: Money

    @property
    def own(self) -> Money:
        """What came for this beneficiary alone, before any allocation."""
        return self.carried_in + self.designated + self.adjustment

    @property
    def funded(self) -> Money:
        return self.own + self.allocated

    @property
    def surplus(self) -> Money:
        """Designated money beyond the bourse; it rolls into the next year."""
        return max(self.funded - self.committed, self.committed * 0)

    @property
    def state(self) -> str:
        return funding_state(self.funded, self.committed)

    def get_state_display(self) -> str:
        return FundingState(self.state).label

    @property
    def percent(self) -> int:
        if self.committed.amount <= 0:
            return 100 if self.funded.amount >= 0 else 0
        return max(int(self.funded.amount * 100 / self.committed.amount), 0)


@dataclass
class YearLedger:
    campaign: Campaign
    year: int
    rule: str
    rows: list[LedgerRow]
    undesignated: Money
    carried_in: Money
    adjustment: Money
    allocated: Money
    closed: LedgerYear | None = None
    # Whether the year before was closed, so that its surplus came in.
    previous_closed: bool = False
    # For a closed year: how much its gifts changed since it was closed.
    late_changes: Money | None = None

    def get_rule_display(self) -> str:
        return AllocationRule(self.rule).label

    @property
    def pool(self) -> Money:
        """Undesignated money to share: the year's, carried in, adjusted."""
        return self.undesignated + self.carried_in + self.adjustment

    @property
    def unallocated(self) -> Money:
        return self.pool - self.allocated

    @property
    def committed(self) -> Money:
        return sum((row.committed for row in self.rows), self.campaign.zero())

    @property
    def funded(self) -> Money:
        return sum((row.funded for row in self.rows), self.campaign.zero())

    @property
    def surplus(self) -> Money:
        return sum((row.surplus for row in self.rows), self.campaign.zero())

    @property
    def money_in(self) -> Money:
        """Everything the year holds; always funded + unallocated."""
        own = sum((row.own for row in self.rows), self.campaign.zero())
        return own + self.pool


def year_range(campaign: Campaign) -> range:
    """The years the ledger can show: from the campaign's first to next year."""
    return range(campaign.starts_on.year, timezone.localdate().year + 2)


def year_ledger(campaign: Campaign, year: int) -> YearLedger:
    closed = (
        LedgerYear.objects.filter(campaign=campaign, year=year)
        .select_related("closed_by")
        .first()
    )
    if closed is not None:
        return _frozen_ledger(campaign, closed)
    return _open_ledger(campaign, year, settings.LEDGER_ALLOCATION_RULE)


def _in_campaign_currency(money: Money | None, campaign: Campaign, name: str) -> Money:
    if money is None:
        return campaign.zero()
    if str(money.currency) != campaign.currency:
        raise LedgerError(
            _("The bourse of %(name)s is in %(currency)s, not in %(campaign)s.")
            % {"name": name, "currency": money.currency, "campaign": campaign.currency}
        )
    return money


def _open_ledger(campaign: Campaign, year: int, rule: str) -> YearLedger:
    currency = campaign.currency
    beneficiaries = list(
        campaign.beneficiaries.order_by("position", "public_name", "pk")
    )
    overrides = {
        commitment.beneficiary_id: commitment.amount
        for commitment in Commitment.objects.filter(
            beneficiary__campaign=campaign, year=year
        )
    }
    received = _received_by_beneficiary(campaign, year, year)
    previous = (
        LedgerYear.objects.filter(campaign=campaign, year=year - 1)
        .prefetch_related("lines")
        .first()
    )
    carried, changes = {}, {}
    if previous is not None:
        carried = {line.beneficiary_id: line.surplus for line in previous.lines.all()}
        changes = _late_changes(campaign)

    def money(amount) -> Money:
        return Money(amount or 0, currency)

    rows = []
    for beneficiary in beneficiaries:
        committed = overrides.get(beneficiary.pk, beneficiary.yearly_bourse)
        rows.append(
            LedgerRow(
                beneficiary_id=beneficiary.pk,
                public_name=beneficiary.public_name,
                position=beneficiary.position,
                committed=_in_campaign_currency(
                    committed, campaign, beneficiary.public_name
                ),
                carried_in=carried.get(beneficiary.pk, campaign.zero()),
                designated=money(received.get(beneficiary.pk)),
                adjustment=money(changes.get(beneficiary.pk)),
                allocated=campaign.zero(),
            )
        )
    ledger = YearLedger(
        campaign=campaign,
        year=year,
        rule=rule,
        rows=rows,
        undesignated=money(received.get(None)),
        carried_in=previous.unallocated if previous else campaign.zero(),
        adjustment=money(changes.get(None)),
        allocated=campaign.zero(),
        previous_closed=previous is not None,
    )

    scale = 10 ** decimal_places(currency)
    needs = [
        int(max(row.committed - row.own, campaign.zero()).amount * scale)
        for row in rows
    ]
    shares = allocate(int(ledger.pool.amount * scale), needs, rule)
    for row, cents in zip(rows, shares, strict=True):
        row.allocated = Money(Decimal(cents) / scale, currency)
    ledger.allocated = sum((row.allocated for row in rows), campaign.zero())
    return ledger


def _frozen_ledger(campaign: Campaign, closed: LedgerYear) -> YearLedger:
    rows = [
        LedgerRow(
            beneficiary_id=line.beneficiary_id,
            public_name=line.public_name,
            position=line.position,
            committed=line.committed,
            carried_in=line.carried_in,
            designated=line.designated,
            adjustment=line.adjustment,
            allocated=line.allocated,
        )
        for line in closed.lines.all()
    ]
    received = _received_by_beneficiary(campaign, closed.year, closed.year)
    frozen = closed.undesignated + sum(
        (row.designated for row in rows), campaign.zero()
    )
    return YearLedger(
        campaign=campaign,
        year=closed.year,
        rule=closed.rule,
        rows=rows,
        undesignated=closed.undesignated,
        carried_in=closed.carried_in,
        adjustment=closed.adjustment,
        allocated=closed.allocated,
        closed=closed,
        previous_closed=LedgerYear.objects.filter(
            campaign=campaign, year=closed.year - 1
        ).exists(),
        late_changes=Money(sum(received.values(), Decimal(0)), campaign.currency)
        - frozen,
    )


def public_progress(campaign: Campaign, year: int) -> dict[int, int]:
    """Each beneficiary's funding in ``year`` as a percent of its bourse,
    rounded down to a tenth and capped at 100, for public pages.

    Steps of ten per cent keep a single gift's amount from being read off
    the page (docs/ledger.md). Kept in the cache for five minutes, whatever
    is paid meanwhile: a year of 100,000 gifts takes about a quarter of a
    second to sum (bench/RESULTS.md), too much to redo after every gift on
    the busiest public page. Empty when the ledger cannot be computed.
    """
    key = f"ledger:public:{campaign.pk}:{year}"
    progress = cache.get(key)
    if progress is not None:
        return progress
    try:
        ledger = year_ledger(campaign, year)
    except LedgerError:
        return {}
    progress = {
        row.beneficiary_id: min(row.percent // 10 * 10, 100)
        for row in ledger.rows
        if row.committed.amount > 0
    }
    cache.set(key, progress, timeout=PUBLIC_PROGRESS_SECONDS)
    return progress
