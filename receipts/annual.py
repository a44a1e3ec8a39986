"""Annual summary receipts: one per donor and calendar year, in January.

A summary lists every payment of the year (Paris time) that was not
receipted on its own, with its date and amount, and the total. It is issued
once the year is over, so no payment of the year can still be missing.
"""

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from djmoney.money import Money

from campaigns.valuation import VALUE_COLUMNS, rows_values
from donors.models import Donor
from payments.models import Gift
from receipts.eligibility import (
    counterpart_problems,
    date_problems,
    donor_problems,
    foundation_problems,
)
from receipts.models import Receipt, ReceiptLine
from receipts.services import (
    ReceiptRefused,
    gift_fill_euro_amount,
    receipt_build_snapshot,
    receipt_next_number,
    receipt_store,
)
from receipts.snapshot import PaymentLine
from receipts.words import amount_in_words_fr

logger = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")


class AnnualRunRefused(ValueError):
    """The annual run cannot be made for this year (yet)."""


@dataclass(frozen=True)
class AnnualCandidate:
    donor_id: int
    gifts: int
    total: Decimal


def annual_check_year(year: int, *, today: date | None = None) -> None:
    """Refuse a year that is not over in Paris, or implausible."""
    today = today or timezone.localdate()
    if not 2000 <= year <= 2100:
        raise AnnualRunRefused(f"year must be between 2000 and 2100, not {year}")
    if today < date(year + 1, 1, 1):
        raise AnnualRunRefused(
            f"{year} is not over yet: annual receipts for {year} can be issued "
            f"from 1 January {year + 1}"
        )


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=PARIS), datetime(year + 1, 1, 1, tzinfo=PARIS)


def annual_gifts(year: int):
    """Paid gifts of ``year`` waiting for an annual summary."""
    start, end = _year_bounds(year)
    on_active_line = ReceiptLine.objects.filter(gift=OuterRef("pk"), active=True)
    in_year = Q(received_on__year=year) | Q(
        received_on__isnull=True, paid_at__gte=start, paid_at__lt=end
    )
    return (
        Gift.objects.filter(
            in_year,
            status=Gift.Status.PAID,
            receipt_mode="annual",
            receipts__isnull=True,
        )
        .exclude(Exists(on_active_line))
        .order_by("paid_at", "pk")
    )


def annual_candidates(year: int) -> Iterator[AnnualCandidate]:
    """Each donor's waiting gifts and their total in euros.

    Gifts in other currencies count at their stored euro value, as their
    receipt will; one still waiting for its rate counts for nothing here.
    """
    gifts = annual_gifts(year).order_by()
    rows = (
        gifts.values("donor_id")
        .annotate(
            total=Sum(
                F("amount") - F("refunded_amount"), filter=Q(amount_currency="EUR")
            ),
            gifts=Count("pk"),
        )
        .order_by("donor_id")
    )
    foreign = defaultdict(Decimal)
    in_other_currencies = gifts.exclude(amount_currency="EUR").values_list(
        *VALUE_COLUMNS, "donor_id"
    )
    for _whole, kept, donor_id in rows_values(in_other_currencies, "EUR"):
        foreign[donor_id] += kept
    for row in rows:
        total = (row["total"] or Decimal("0.00")) + foreign[row["donor_id"]]
        yield AnnualCandidate(row["donor_id"], row["gifts"], total)


def receipt_issue_annual(
    donor_id: int, year: int, *, notify: bool = True
) -> Receipt | None:
    """Issue ``donor_id``'s summary of ``year``; None if nothing is waiting.

    The donor row is locked, so two runs at once issue one summary; the
    unique constraints on lines and on (donor, year) hold even without it.
    """
    from receipts.services import _enqueue_email

    with transaction.atomic():
        donor = Donor.objects.select_for_update().get(pk=donor_id)
        gifts = list(
            annual_gifts(year).filter(donor_id=donor.pk).select_for_update(of=("self",))
        )
        if not gifts:
            return None
        problems = foundation_problems() + donor_problems(donor)
        for gift in gifts:
            gift.donor = donor
            problems += gift_fill_euro_amount(gift)
            problems += counterpart_problems(gift) + date_problems(gift)
            if gift.receipt_amount is None:
                problems.append(f"gift {gift.pk} has no euro amount at its date")
        if problems:
            raise ReceiptRefused(f"donor {donor.pk}, {year}: " + "; ".join(problems))

        sequence_number, number = receipt_next_number(year)
        issued_at = timezone.now()
        payments = tuple(
            PaymentLine(
                date=gift.tax_date,
                amount=gift.receipt_amount.amount,
                method=gift.method,
            )
            for gift in gifts
        )
        total = sum((line.amount for line in payments), Decimal("0.00"))
        snapshot = receipt_build_snapshot(
            gifts[0],
            number=number,
            issued_on=timezone.localtime(issued_at, PARIS).date(),
        )
        snapshot = dataclasses.replace(
            snapshot, payments=payments, total=total, words=amount_in_words_fr(total)
        )
        receipt = receipt_store(
            snapshot,
            year=year,
            sequence_number=sequence_number,
            donor_id=donor.pk,
            gift_id=None,
            amount=Money(total, "EUR"),
            issued_at=issued_at,
            event_data={"gifts": len(gifts)},
        )
        ReceiptLine.objects.bulk_create(
            ReceiptLine(receipt=receipt, gift=gift, amount=gift.receipt_amount)
            for gift in gifts
        )
        if notify:
            transaction.on_commit(lambda: _enqueue_email(receipt.pk))
    logger.info(
        "annual receipt %s issued for donor %s (%s gifts)",
        receipt.number,
        donor_id,
        len(gifts),
        extra={"receipt_id": receipt.pk},
    )
    return receipt
