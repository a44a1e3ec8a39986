"""A paid gift may move its donor, never turn them into someone else."""

from decimal import Decimal

import pytest
from django.db import transaction

from conftest import DONOR_DETAILS
from payments.gateway import IntentState
from payments.models import Gift
from payments.services import gift_mark_paid

pytestmark = pytest.mark.django_db


def pay(make_gift, donor, **details):
    gift = make_gift(
        "10.00",
        donor=donor,
        donor_details={**DONOR_DETAILS, "language": "fr", **details},
    )
    intent = IntentState(
        id="", status="succeeded", client_secret="", amount_minor=1000, currency="EUR"
    )
    with transaction.atomic():
        gift_mark_paid(Gift.objects.select_for_update().get(pk=gift.pk), intent,
                       source="test")  # fmt: skip
    return gift


def test_a_known_donor_may_move(make_gift, make_donor):
    donor = make_donor()
    pay(make_gift, donor)
    pay(make_gift, donor, address_line="3 quai Voltaire", postal_code="75007")
    donor.refresh_from_db()
    assert (donor.address_line, donor.postal_code) == ("3 quai Voltaire", "75007")


@pytest.mark.parametrize(
    "other",
    [
        {"first_name": "Mallory", "last_name": "Evil", "city": "Marseille"},
        {
            "kind": "company",
            "company_name": "Evil Corp",
            "legal_form": "SAS",
            "siren": "552100554",
        },  # fmt: skip
    ],
)
def test_a_gift_naming_someone_else_changes_nothing(make_gift, make_donor, other):
    donor = make_donor()
    pay(make_gift, donor)
    second = pay(make_gift, donor, **other)
    donor.refresh_from_db()
    assert (donor.kind, donor.first_name, donor.last_name, donor.city) == (
        "individual",
        "Anne",
        "Martin",
        "Paris",
    )
    assert second.events.filter(kind="identity_differs").exists()
    assert Gift.objects.get(pk=second.pk).status == Gift.Status.PAID


def test_a_first_paid_gift_sets_the_details_even_after_an_unpaid_one(
    make_gift, make_donor
):
    # An unpaid form created the donor with someone's typing; the first
    # paid gift is the one that counts.
    donor = make_donor(first_name="Typo", last_name="Name")
    pay(make_gift, donor)
    donor.refresh_from_db()
    assert (donor.first_name, donor.last_name) == ("Anne", "Martin")
    assert Decimal("10.00") == Gift.objects.get().amount.amount
