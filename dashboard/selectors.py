"""Reads behind the staff dashboard.

Every function runs one query whose cost does not grow with the number of
gifts: figures come from Campaign's stored totals and from DailyTotal,
whose rows number at most days x methods; the last gifts are one query
with a LIMIT.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Sum

from campaigns.models import Campaign
from dashboard.models import DailyTotal
from payments.models import Gift

DAYS = 30
WEEKS = 26
METHODS = [value for value, _label in Gift.Method.choices]


def dashboard_campaigns() -> list[Campaign]:
    """Campaigns for the selector, newest first; drafts included for staff."""
    return list(Campaign.objects.only("pk", "slug", "title_fr", "title_en", "status"))


def default_campaign(campaigns: list[Campaign]) -> Campaign | None:
    live = [c for c in campaigns if c.status == Campaign.Status.LIVE]
    return (live or campaigns or [None])[0]


@dataclass
class Series:
    """Per bucket (a day or a week), gifts and net amount by method."""

    starts: list[datetime.date]
    gifts: dict[str, list[int]] = field(default_factory=dict)
    net: dict[str, list[Decimal]] = field(default_factory=dict)

    def __post_init__(self):
        for method in METHODS:
            self.gifts[method] = [0] * len(self.starts)
            self.net[method] = [Decimal(0)] * len(self.starts)

    def add(self, index: int, method: str, gifts: int, net: Decimal) -> None:
        self.gifts[method][index] += gifts
        self.net[method][index] += net

    def rows(self):
        """(start, gifts, net) per bucket, all methods together."""
        for i, start in enumerate(self.starts):
            yield (
                start,
                sum(self.gifts[m][i] for m in METHODS),
                sum((self.net[m][i] for m in METHODS), Decimal(0)),
            )

    @property
    def total_gifts(self) -> int:
        return sum(sum(values) for values in self.gifts.values())

    @property
    def total_net(self) -> Decimal:
        return sum((sum(v, Decimal(0)) for v in self.net.values()), Decimal(0))


def campaign_series(campaign: Campaign, *, today: datetime.date):
    """The last 30 days and the last 26 weeks (Monday to Sunday, this one
    included), from one query over at most 182 days x 5 methods rows."""
    days = [today - datetime.timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    this_monday = today - datetime.timedelta(days=today.weekday())
    mondays = [
        this_monday - datetime.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)
    ]
    daily, weekly = Series(days), Series(mondays)

    rows = (
        DailyTotal.objects.filter(
            campaign=campaign, day__gte=min(days[0], mondays[0]), day__lte=today
        )
        .values_list("day", "method", "gifts", "amount", "refunded")
        .order_by()
    )
    for day, method, gifts, amount, refunded in rows:
        net = amount - refunded
        if day >= days[0]:
            daily.add((day - days[0]).days, method, gifts, net)
        if day >= mondays[0]:
            weekly.add((day - mondays[0]).days // 7, method, gifts, net)
    return daily, weekly


def method_split(campaign: Campaign) -> list[dict]:
    """Gifts and net amount by payment method since the campaign began,
    every method listed, in the order of Gift.Method."""
    found = {
        row["method"]: row
        for row in DailyTotal.objects.filter(campaign=campaign)
        .values("method")
        .annotate(count=Sum("gifts"), net=Sum(F("amount") - F("refunded")))
        .order_by()
    }
    return [
        {
            "method": method,
            "label": str(label),
            "gifts": found.get(method, {}).get("count") or 0,
            "net": found.get(method, {}).get("net") or Decimal(0),
        }
        for method, label in Gift.Method.choices
    ]


def kind_split(campaign: Campaign) -> dict[bool, dict]:
    """Gifts and net amount of one-off gifts (False) and of monthly gifts'
    payments (True), from the stored daily totals."""
    found = {
        row["monthly"]: {"gifts": row["count"] or 0, "net": row["net"] or Decimal(0)}
        for row in DailyTotal.objects.filter(campaign=campaign)
        .values("monthly")
        .annotate(count=Sum("gifts"), net=Sum(F("amount") - F("refunded")))
        .order_by()
    }
    empty = {"gifts": 0, "net": Decimal(0)}
    return {False: found.get(False, empty), True: found.get(True, empty)}


def source_split(campaign: Campaign, *, limit: int = 8) -> list[dict]:
    """Gifts and net amount by traffic source (utm_source), largest first;
    gifts without a tag are listed as the empty source."""
    return list(
        DailyTotal.objects.filter(campaign=campaign)
        .values("source")
        .annotate(gifts=Sum("gifts"), net=Sum(F("amount") - F("refunded")))
        .order_by("-net", "source")[:limit]
    )


def monthly_commitments(campaign: Campaign) -> list[dict]:
    """Active monthly gifts: how many and what they bring each month, per
    currency (a plan keeps the currency it was given in)."""
    from payments.models import RecurringGift

    return list(
        RecurringGift.objects.filter(
            campaign=campaign, status=RecurringGift.Status.ACTIVE
        )
        .values("amount_currency")
        .annotate(count=Count("pk"), total=Sum("amount"))
        .order_by("amount_currency")
    )


def last_gifts(campaign: Campaign, *, limit: int = 10) -> list[dict]:
    """The latest paid (or since refunded) gifts, newest first.

    Reads only the donor fields the page may show: never the email or the
    address. Fast with the (campaign, -paid_at) index on Gift.
    """
    return list(
        Gift.objects.filter(campaign=campaign, paid_at__isnull=False)
        .order_by("-paid_at")
        .values(
            "pk", "paid_at", "amount", "refunded_amount", "status", "method",
            "anonymous", "donor__kind", "donor__first_name", "donor__last_name",
            "donor__company_name",
        )[:limit]
    )  # fmt: skip
