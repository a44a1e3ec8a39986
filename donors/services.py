"""State changes of donors."""

from django.db import IntegrityError, transaction

from donors.models import Donor

DONOR_FIELDS = (
    "kind",
    "first_name",
    "last_name",
    "company_name",
    "legal_form",
    "siren",
    "address_line",
    "postal_code",
    "city",
    "country",
    "language",
    "taxed_in_france",
    "receipt_preference",
)


def donor_upsert(*, email: str, **details) -> Donor:
    """Find the donor by email (any case) and bring their details up to date.

    The latest gift's form wins: donors move, and the next receipt must carry
    the address they just typed. Receipts already issued keep their frozen
    copy. Two concurrent first gifts from one address meet on the unique
    constraint; the loser reads the winner's row.
    """
    unknown = set(details) - set(DONOR_FIELDS)
    if unknown:
        raise TypeError(f"unknown donor fields: {sorted(unknown)}")
    email = email.strip()

    for _attempt in range(2):
        try:
            with transaction.atomic():
                donor = (
                    Donor.objects.select_for_update()
                    .filter(email__iexact=email)
                    .first()
                )
                if donor is None:
                    return Donor.objects.create(email=email, **details)
                for field, value in details.items():
                    setattr(donor, field, value)
                donor.save()
                return donor
        except IntegrityError:
            continue
    raise IntegrityError("could not create or update donor")
