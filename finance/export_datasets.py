"""What finance can export: gifts, donors and receipts, one row generator each.

A dataset is a header and a function that yields one tuple per row for the
filters finance chose. Rows come from ``values_list().iterator()`` (a
server-side cursor on PostgreSQL, no model instances), so a year of a million
gifts stays flat in memory. Values stay typed (Decimal, datetime, int) and the
writers in ``finance.export_writers`` format them for CSV or XLSX.

Other apps add their own datasets with ``register`` from their AppConfig's
``ready()`` (the scholarship ledger does); the export page, the command and
the background jobs then offer them with the same filters.
"""

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext_lazy as _

from payments.models import Gift
from receipts.models import Receipt, ReceiptLine
from receipts.selectors import issued_receipt_number

PARIS = ZoneInfo("Europe/Paris")
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ExportFilters:
    """The filters every dataset understands; None means "all"."""

    year: int
    campaign: str | None = None  # the campaign's slug
    status: str | None = None
    method: str | None = None

    def as_params(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value}


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    # Who may export it: the permission that lets staff see one such row.
    permission: str
    header: tuple[str, ...]
    rows: Callable[[ExportFilters], Iterator[tuple]]
    count: Callable[[ExportFilters], int]
    # Values the status filter accepts; empty refuses the filter.
    statuses: tuple[tuple[str, str], ...] = ()
    # Whether the method filter applies.
    has_method: bool = True


_REGISTRY: dict[str, Dataset] = {}


def register(dataset: Dataset) -> None:
    _REGISTRY[dataset.name] = dataset


def get_dataset(name: str) -> Dataset | None:
    return _REGISTRY.get(name)


def all_datasets() -> list[Dataset]:
    return list(_REGISTRY.values())


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The Paris-time calendar year, as aware datetimes (start, end)."""
    return (
        datetime(year, 1, 1, tzinfo=PARIS),
        datetime(year + 1, 1, 1, tzinfo=PARIS),
    )


def paris(moment: datetime | None) -> datetime | None:
    """A naive Paris wall-clock time: what spreadsheets and accountants read."""
    if moment is None:
        return None
    return moment.astimezone(PARIS).replace(tzinfo=None)


def donor_name(kind: str, first: str, last: str, company: str) -> str:
    return company if kind == "company" else f"{first} {last}".strip()


def paid_gifts(filters: ExportFilters):
    """Gifts paid (and maybe refunded since) in the Paris-time year."""
    start, end = year_bounds(filters.year)
    gifts = Gift.objects.filter(paid_at__gte=start, paid_at__lt=end)
    if filters.campaign:
        gifts = gifts.filter(campaign__slug=filters.campaign)
    if filters.status:
        gifts = gifts.filter(status=filters.status)
    if filters.method:
        gifts = gifts.filter(method=filters.method)
    return gifts


# === Gifts ===

GIFT_HEADER = (
    "gift_id",
    "status",
    "paid_at_paris",
    "amount",
    "currency",
    "refunded",
    "net_amount",
    "campaign",
    "beneficiary",
    "donor_id",
    "donor_type",
    "donor_name",
    "company_siren",
    "donor_email",
    "postal_code",
    "country",
    "anonymous",
    "payment_method",
    "stripe_payment_intent",
    "receipt_number",
)
# Gifts with a paid_at: the year filter reads it, so pending and failed
# gifts never appear.
GIFT_STATUSES = (
    (Gift.Status.PAID.value, Gift.Status.PAID.label),
    (Gift.Status.REFUNDED.value, Gift.Status.REFUNDED.label),
)


def gift_rows(filters: ExportFilters) -> Iterator[tuple]:
    gifts = (
        paid_gifts(filters)
        .annotate(issued_receipt=issued_receipt_number())
        .order_by("paid_at", "pk")
        .values_list(
            "pk",
            "status",
            "paid_at",
            "amount",
            "amount_currency",
            "refunded_amount",
            "campaign__slug",
            "beneficiary__public_name",
            "donor_id",
            "donor__kind",
            "donor__first_name",
            "donor__last_name",
            "donor__company_name",
            "donor__siren",
            "donor__email",
            "donor__postal_code",
            "donor__country",
            "anonymous",
            "method",
            "stripe_payment_intent_id",
            "issued_receipt",
        )
    )
    for row in gifts.iterator(chunk_size=CHUNK_SIZE):
        (pk, status, paid_at, amount, currency, refunded, campaign, beneficiary, donor_id, kind,
         first, last, company, siren, email, postal, country, anonymous, method, pi,
         receipt) = row  # fmt: skip
        yield (
            pk,
            status,
            paris(paid_at),
            amount,
            currency,
            refunded,
            amount - refunded,
            campaign,
            beneficiary or "",
            donor_id,
            kind,
            donor_name(kind, first, last, company),
            siren,
            email,
            postal,
            country,
            "yes" if anonymous else "no",
            method,
            pi,
            receipt or "",
        )


def gift_count(filters: ExportFilters) -> int:
    return paid_gifts(filters).count()


# === Donors ===

DONOR_HEADER = (
    "donor_id",
    "donor_type",
    "donor_name",
    "company_siren",
    "donor_email",
    "address",
    "postal_code",
    "city",
    "country",
    "language",
    "gifts",
    "first_gift_paris",
    "last_gift_paris",
    "total",
    "refunded",
    "net_total",
    "currency",
)
DONOR_FIELDS = (
    "donor_id",
    "donor__kind",
    "donor__first_name",
    "donor__last_name",
    "donor__company_name",
    "donor__siren",
    "donor__email",
    "donor__address_line",
    "donor__postal_code",
    "donor__city",
    "donor__country",
    "donor__language",
    "amount_currency",
)


def _donor_groups(filters: ExportFilters):
    # One group per donor and currency: totals are never added across
    # currencies.
    return (
        paid_gifts(filters)
        .order_by()
        .values(*DONOR_FIELDS)
        .annotate(
            gifts=Count("pk"),
            first_paid_at=Min("paid_at"),
            last_paid_at=Max("paid_at"),
            total=Sum("amount"),
            refunded=Sum("refunded_amount"),
        )
    )


def donor_rows(filters: ExportFilters) -> Iterator[tuple]:
    groups = _donor_groups(filters).order_by("donor_id", "amount_currency")
    for group in groups.iterator(chunk_size=CHUNK_SIZE):
        kind = group["donor__kind"]
        yield (
            group["donor_id"],
            kind,
            donor_name(
                kind,
                group["donor__first_name"],
                group["donor__last_name"],
                group["donor__company_name"],
            ),
            group["donor__siren"],
            group["donor__email"],
            group["donor__address_line"],
            group["donor__postal_code"],
            group["donor__city"],
            group["donor__country"],
            group["donor__language"],
            group["gifts"],
            paris(group["first_paid_at"]),
            paris(group["last_paid_at"]),
            group["total"],
            group["refunded"],
            group["total"] - group["refunded"],
            group["amount_currency"],
        )


def donor_count(filters: ExportFilters) -> int:
    return _donor_groups(filters).count()


# === Receipts ===

RECEIPT_HEADER = (
    "receipt_number",
    "status",
    "kind",
    "issued_at_paris",
    "amount",
    "currency",
    "gift_id",
    "campaign",
    "donor_id",
    "donor_type",
    "donor_name",
    "replaces_number",
    "cancelled_at_paris",
)


def _receipts(filters: ExportFilters):
    receipts = Receipt.objects.filter(year=filters.year)
    if filters.status:
        receipts = receipts.filter(status=filters.status)
    # An annual summary has no gift of its own: it matches a campaign or a
    # method through the gifts it covers.
    gift_filters = {}
    if filters.campaign:
        gift_filters["campaign__slug"] = filters.campaign
    if filters.method:
        gift_filters["method"] = filters.method
    if gift_filters:
        covered = ReceiptLine.objects.filter(
            **{f"gift__{key}": value for key, value in gift_filters.items()}
        ).values("receipt_id")
        receipts = receipts.filter(
            Q(**{f"gift__{key}": value for key, value in gift_filters.items()})
            | Q(pk__in=covered)
        )
    return receipts


def receipt_rows(filters: ExportFilters) -> Iterator[tuple]:
    replaced = Receipt.objects.filter(pk=OuterRef("replaces_id")).values("number")
    receipts = (
        _receipts(filters)
        .annotate(replaces_number=Subquery(replaced))
        .order_by("sequence_number")
        .values_list(
            "number",
            "status",
            "kind",
            "issued_at",
            "amount",
            "amount_currency",
            "gift_id",
            "gift__campaign__slug",
            "donor_id",
            # The frozen copy: whom the receipt certifies, not today's record.
            "snapshot__donor",
            "replaces_number",
            "cancelled_at",
        )
    )
    for row in receipts.iterator(chunk_size=CHUNK_SIZE):
        (number, status, kind, issued_at, amount, currency, gift_id, campaign, donor_id,
         donor, replaces, cancelled_at) = row  # fmt: skip
        donor = donor if isinstance(donor, dict) else {}
        donor_kind = donor.get("kind", "")
        yield (
            number,
            status,
            kind,
            paris(issued_at),
            amount,
            currency,
            gift_id or "",
            campaign or "",
            donor_id or "",
            donor_kind,
            donor_name(
                donor_kind,
                donor.get("first_names", ""),
                donor.get("last_name", ""),
                donor.get("company_name", ""),
            ),
            replaces or "",
            paris(cancelled_at),
        )


def receipt_count(filters: ExportFilters) -> int:
    return _receipts(filters).count()


register(
    Dataset(
        name="gifts",
        label=_("Gifts"),
        permission="payments.view_gift",
        header=GIFT_HEADER,
        rows=gift_rows,
        count=gift_count,
        statuses=GIFT_STATUSES,
    )
)
register(
    Dataset(
        name="donors",
        label=_("Donors"),
        permission="donors.view_donor",
        header=DONOR_HEADER,
        rows=donor_rows,
        count=donor_count,
        statuses=GIFT_STATUSES,
    )
)
register(
    Dataset(
        name="receipts",
        label=_("Receipts"),
        permission="receipts.view_receipt",
        header=RECEIPT_HEADER,
        rows=receipt_rows,
        count=receipt_count,
        statuses=tuple((s.value, s.label) for s in Receipt.Status),
    )
)
