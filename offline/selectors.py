"""Reads for offline batches: which existing donors a line may be."""

from django.db.models import Q

from donors.models import Donor


def donor_candidates(line) -> list[Donor]:
    """Existing donors a line may describe, for staff to confirm or reject.

    A donor matches on the email (any case), or on the name and postal code
    (the company name for a company): a cheque often comes without an email,
    and the same person may write from a new address. Matching never merges
    anyone; it only asks staff to choose.
    """
    match = Q()
    if line.email.strip():
        match |= Q(email__iexact=line.email.strip())
    postcode = line.postal_code.strip()
    if postcode and line.kind == "company" and line.company_name.strip():
        match |= Q(
            kind="company",
            company_name__iexact=line.company_name.strip(),
            postal_code=postcode,
        )
    elif postcode and line.last_name.strip() and line.first_name.strip():
        match |= Q(
            kind="individual",
            last_name__iexact=line.last_name.strip(),
            first_name__iexact=line.first_name.strip(),
            postal_code=postcode,
        )
    if not match:
        return []
    return list(Donor.objects.filter(match).order_by("pk")[:10])
