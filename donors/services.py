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


def donor_get_or_create(*, email: str, **details) -> Donor:
    """The donor with this email (any case), created with ``details`` if new.

    An existing donor is left as is: anyone can type someone's email into
    the donate form, so details typed there reach the donor only once their
    gift is paid (``donor_apply_details``).
    """
    unknown = set(details) - set(DONOR_FIELDS)
    if unknown:
        raise TypeError(f"unknown donor fields: {sorted(unknown)}")
    email = email.strip()
    for _attempt in range(2):
        donor = Donor.objects.filter(email__iexact=email).first()
        if donor is not None:
            return donor
        try:
            with transaction.atomic():
                return Donor.objects.create(email=email, **details)
        except IntegrityError:
            continue
    raise IntegrityError("could not create donor")


def donor_apply_details(donor_id: int, details: dict) -> None:
    """Bring a donor up to date with the details of their latest paid gift."""
    changes = {field: details[field] for field in DONOR_FIELDS if field in details}
    if changes:
        Donor.objects.filter(pk=donor_id).update(**changes)


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
