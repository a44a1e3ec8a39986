"""Exports for finance: one row per gift, streamed.

Rows come from ``values_list().iterator()`` (no model instances), so an
export of a whole year stays flat in memory; dates are written in Paris
time because that is the tax year's clock.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from finance.spreadsheet import safe_row
from payments.models import Gift
from receipts.declaration import parse_year as receipts_parse_year
from receipts.selectors import issued_receipt_number

PARIS = ZoneInfo("Europe/Paris")
FORMATS = ("csv",)

HEADER = (
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


class ExportError(ValueError):
    pass


def parse_year(raw) -> int:
    try:
        return receipts_parse_year(raw)
    except ValueError as exc:
        raise ExportError(str(exc)) from None


def parse_format(raw) -> str:
    value = str(raw)
    if value not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, not {raw!r}")
    return value


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return (
        datetime(year, 1, 1, tzinfo=PARIS),
        datetime(year + 1, 1, 1, tzinfo=PARIS),
    )


def donation_rows(year: int) -> Iterator[tuple]:
    """Gifts paid (or refunded) in the Paris-time calendar year ``year``."""
    start, end = _year_bounds(year)
    gifts = (
        Gift.objects.filter(paid_at__gte=start, paid_at__lt=end)
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
    for row in gifts.iterator(chunk_size=2000):
        (pk, status, paid_at, amount, currency, refunded, campaign, beneficiary, donor_id, kind,
         first, last, company, siren, email, postal, country, anonymous, method, pi,
         receipt) = row  # fmt: skip
        name = company if kind == "company" else f"{first} {last}".strip()
        yield (
            pk,
            status,
            paid_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S"),
            f"{amount:.2f}",
            currency,
            f"{refunded:.2f}",
            f"{amount - refunded:.2f}",
            campaign,
            beneficiary or "",
            donor_id,
            kind,
            name,
            siren,
            email,
            postal,
            country,
            "yes" if anonymous else "no",
            method,
            pi,
            receipt or "",
        )


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER)
    for row in rows:
        yield writer.writerow(safe_row(row))


def write_csv(year: int, stream) -> int:
    count = 0
    for line in csv_lines(donation_rows(year)):
        stream.write(line)
        count += 1
    return count - 1
