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
