"""What must be true before a receipt may be issued.

Checked before a number is taken, so a refused receipt consumes none.
"""

from django.conf import settings

from donors.validators import rna_is_valid, siren_is_valid

FOUNDATION_REQUIRED = (
    "name",
    "address_line",
    "postal_code",
    "city",
    "country",
    "object",
    "category_line",
    "signatory_name",
    "signatory_capacity",
)


def foundation_problems(foundation: dict | None = None) -> list[str]:
    """What is missing or wrong in the foundation block printed on receipts."""
    foundation = settings.FOUNDATION if foundation is None else foundation
    problems = [
        f"FOUNDATION {field} is empty"
        for field in FOUNDATION_REQUIRED
        if not str(foundation.get(field, "")).strip()
    ]
    siren, rna = foundation.get("siren", ""), foundation.get("rna", "")
    if not siren and not rna:
        problems.append("FOUNDATION needs a SIREN or an RNA number")
    if siren and not siren_is_valid(siren):
        problems.append(
            f"FOUNDATION SIREN {siren!r} is not nine digits with a valid check digit"
        )
    if rna and not rna_is_valid(rna):
        problems.append(f"FOUNDATION RNA {rna!r} is not W followed by nine digits")
    return problems


def donor_problems(donor) -> list[str]:
    """What a receipt needs from the donor and is missing."""
    if donor.kind == "individual":
        required = ("last_name", "first_name")
    elif donor.kind == "company":
        required = ("company_name", "legal_form")
    else:
        return [f"unknown donor type {donor.kind!r}"]
    required += ("address_line", "postal_code", "city", "country")
    problems = [
        f"donor {field} is empty"
        for field in required
        if not getattr(donor, field, "").strip()
    ]
    if donor.kind == "company" and not siren_is_valid(donor.siren):
        problems.append("company SIREN is missing or has a bad check digit")
    return problems


def date_problems(gift) -> list[str]:
    """A gift whose receiving date the finance rule says to wait for."""
    manual = gift.method in ("cheque", "cash")
    if gift.received_on or (settings.RECEIPT_DATE_RULE == "payment" and not manual):
        return []
    return [
        "the date the money was received is not recorded yet "
        f"(rule: {'cheque or cash' if manual else 'credited date'})"
    ]


def counterpart_problems(gift) -> list[str]:
    """Counterparts beyond what keeps a gift deductible (receipts-fr.md §5).

    An individual may receive at most a quarter of the gift in value and at
    most the yearly cap over all their gifts of the calendar year. Whether an
    excess voids the whole gift is unsettled, so the receipt is held for a
    person to decide rather than issued or refused outright.
    """
    from django.db.models import Sum

    value = gift.counterpart_value.amount
    if not value or gift.donor.kind != "individual":
        return []
    problems = []
    if value > gift.amount.amount * settings.RECEIPT_COUNTERPART_SHARE:
        problems.append(
            f"counterparts of {value} € exceed {settings.RECEIPT_COUNTERPART_SHARE:.0%} of the gift"
        )
    year = gift.tax_date.year
    year_total = (
        type(gift)
        .objects.filter(donor_id=gift.donor_id, status="paid", paid_at__year=year)
        .aggregate(total=Sum("counterpart_value"))["total"]
        or 0
    )
    if year_total > settings.RECEIPT_COUNTERPART_CAP_EUR:
        problems.append(
            f"the donor's counterparts in {year} ({year_total} €) exceed "
            f"the yearly cap of {settings.RECEIPT_COUNTERPART_CAP_EUR} €"
        )
    return problems
