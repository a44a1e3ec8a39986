"""The yearly declaration of gifts receipted (art. 222 bis CGI).

The foundation declares, for a calendar year, the total of the gifts shown on
receipts and received that year, and the number of receipts issued
(receipts-fr.md, section 6). How corrections count is not settled by any text
found, so the choice here is:

- a receipt counts in the year of its series, which is the Paris-time year the
  gift was received; a receipt issued in January for a December gift counts
  in December's year;
- a cancelled receipt is left out, count and amount; the receipt replacing it
  after a partial refund is in the same series and counts, for the kept
  amount;
- a duplicate is a new rendering of a receipt, not a receipt, so it is never
  counted.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from receipts.models import Receipt

CENT = Decimal("0.01")
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class TaxDeclaration:
    year: int
    receipts: int
    total_eur: Decimal  # two places, gross of processor fees
    cancelled_excluded: int

    def to_dict(self) -> dict:
        """JSON-safe: the total is a string, never a float."""
        return {
            "year": self.year,
            "receipts": self.receipts,
            "total_eur": str(self.total_eur),
            "cancelled_excluded": self.cancelled_excluded,
        }


def parse_year(raw) -> int:
    """A calendar year given on a command line or in a query string."""
    text = str(raw).strip()
    # int() also reads "٢٠٢٥"; a year is written with ASCII digits here.
    if not re.fullmatch(r"\d{4}", text, re.ASCII):
        raise ValueError(f"year must be a four-digit year, not {raw!r}")
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"year must be between {FIRST_YEAR} and {LAST_YEAR}, not {year}"
        )
    return year


def tax_declaration_for_year(year: int) -> TaxDeclaration:
    """What to declare for gifts received in ``year`` (Paris time)."""
    issued = Q(status=Receipt.Status.ISSUED)
    totals = Receipt.objects.filter(year=year).aggregate(
        receipts=Count("pk", filter=issued),
        total=Sum("amount", filter=issued),
        cancelled=Count("pk", filter=Q(status=Receipt.Status.CANCELLED)),
        # Issuing refuses other currencies; counted so a stray one is caught.
        not_eur=Count("pk", filter=issued & ~Q(amount_currency="EUR")),
    )
    if totals["not_eur"]:
        raise ValueError(
            f"{totals['not_eur']} issued receipts of {year} are not in euros"
        )
    return TaxDeclaration(
        year=year,
        receipts=totals["receipts"],
        total_eur=(totals["total"] or Decimal(0)).quantize(CENT),
        cancelled_excluded=totals["cancelled"],
    )
