"""Factories for batches of offline gifts."""

import datetime
from decimal import Decimal

import pytest
from djmoney.money import Money

# A cheque from a donor the foundation has never seen.
CHEQUE_LINE = {
    "method": "cheque",
    "amount": Money(Decimal("150.00"), "EUR"),
    "received_on": datetime.date(2026, 3, 2),
    "cheque_number": "0012345",
    "cheque_bank": "Banque Postale",
    "cheque_date": datetime.date(2026, 2, 27),
    "kind": "individual",
    "first_name": "Paul",
    "last_name": "Durand",
    "email": "paul.durand@example.org",
    "address_line": "4 place du Panthéon",
    "postal_code": "75005",
    "city": "Paris",
    "country": "FR",
}

# The same line for a company donor.
COMPANY = {
    "kind": "company",
    "first_name": "",
    "last_name": "",
    "company_name": "Acme Sport",
    "legal_form": "SAS",
    "siren": "732829320",
}


@pytest.fixture
def make_batch(db, campaign):
    from offline.models import Batch, BatchLine

    def make(*lines, expected_count=None, expected_total=None, **fields):
        lines = [{**CHEQUE_LINE, **line} for line in lines or [{}]]
        if expected_total is None:
            expected_total = sum((line["amount"] for line in lines), Money(0, "EUR"))
        batch = Batch.objects.create(
            campaign=fields.pop("campaign", campaign),
            expected_count=len(lines) if expected_count is None else expected_count,
            expected_total=expected_total,
            **fields,
        )
        for line in lines:
            BatchLine.objects.create(batch=batch, **line)
        return batch

    return make


@pytest.fixture
def poster(db):
    """A staff member allowed to see and post batches."""
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("treasurer", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["post_batch", "view_batch", "change_batch", "add_batch"]
        )
    )
    return user
