"""A line that may be a known donor waits for staff to say which it is."""

from decimal import Decimal

import pytest
from django.utils import translation
from djmoney.money import Money

from donors.models import Donor
from offline.models import BatchLine
from offline.selectors import donor_candidates
from offline.services import BatchRefused, batch_post
from offline.tests.conftest import COMPANY
from payments.models import Gift

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def known(make_donor):
    """Paul Durand gave online before, from the same postal code."""
    return make_donor(
        email="paul.durand@example.org",
        first_name="Paul",
        last_name="Durand",
        postal_code="75005",
        address_line="4 place du Panthéon",
    )


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def refusal(batch, actor) -> list[str]:
    with pytest.raises(BatchRefused) as caught:
        batch_post(batch.pk, actor=actor)
    return caught.value.problems


def test_email_in_another_case_is_a_candidate_and_posting_waits(
    known, make_batch, poster
):
    batch = make_batch({"email": "Paul.DURAND@example.org", "postal_code": "69001"})
    line = batch.lines.get()

    assert donor_candidates(line) == [known]
    assert refusal(batch, poster) == [
        f"Line 1: It may be an existing donor (#{known.pk}): choose that donor, "
        "or choose a new donor."
    ]
    assert Gift.objects.count() == 0


def test_name_and_postcode_without_email_is_a_candidate(known, make_batch, poster):
    batch = make_batch({"email": "", "first_name": "paul", "last_name": "DURAND"})

    assert donor_candidates(batch.lines.get()) == [known]
    assert len(refusal(batch, poster)) == 1


def test_same_name_elsewhere_is_no_candidate_and_needs_an_email(
    known, make_batch, poster
):
    batch = make_batch({"email": "", "postal_code": "13001", "city": "Marseille"})

    assert donor_candidates(batch.lines.get()) == []
    assert refusal(batch, poster) == ["Line 1: A new donor needs an email address."]


def test_using_the_existing_donor_gives_them_the_gift_and_the_new_address(
    known, make_batch, poster
):
    batch = make_batch(
        {
            "email": "",
            "address_line": "9 rue Mouffetard",
            "donor_choice": BatchLine.DonorChoice.EXISTING,
            "donor": known,
        }
    )

    batch_post(batch.pk, actor=poster)

    gift = Gift.objects.get()
    known.refresh_from_db()
    assert gift.donor == known
    assert Donor.objects.count() == 1
    assert known.address_line == "9 rue Mouffetard"
    # An empty email on the line never wipes the donor's.
    assert known.email == "paul.durand@example.org"


def test_choosing_a_new_donor_keeps_two_people_apart(known, make_batch, poster):
    # A namesake at the same postal code, with an address of their own.
    batch = make_batch(
        {"email": "p.durand@example.net", "donor_choice": BatchLine.DonorChoice.NEW}
    )

    batch_post(batch.pk, actor=poster)

    gift = Gift.objects.get()
    assert gift.donor != known
    assert gift.donor.email == "p.durand@example.net"
    known.refresh_from_db()
    assert known.email == "paul.durand@example.org"


def test_a_new_donor_cannot_take_a_known_email(known, make_batch, poster):
    batch = make_batch({"donor_choice": BatchLine.DonorChoice.NEW})

    assert refusal(batch, poster) == [
        f"Line 1: The email belongs to donor #{known.pk}: use that donor, "
        "or correct the email."
    ]
    assert Donor.objects.count() == 1


def test_the_chosen_donor_must_match_the_email_typed(known, make_batch, poster):
    batch = make_batch(
        {
            "email": "someone.else@example.org",
            "donor_choice": BatchLine.DonorChoice.EXISTING,
            "donor": known,
        }
    )

    assert refusal(batch, poster) == [
        "Line 1: The email typed is not the chosen donor's; clear it or fix it."
    ]


def test_company_matches_on_its_name_and_postcode(make_donor, make_batch, poster):
    company = make_donor(
        email="dons@acme.example",
        kind="company",
        company_name="ACME Sport",
        legal_form="SAS",
        siren="732829320",
    )
    batch = make_batch({**COMPANY, "email": ""})

    assert donor_candidates(batch.lines.get()) == [company]


def test_two_cheques_from_one_new_donor_make_one_donor(make_batch, campaign, poster):
    batch = make_batch({}, {"email": "PAUL.durand@example.org", "amount": eur("30")})

    batch_post(batch.pk, actor=poster)

    donor = Donor.objects.get()
    assert donor.gifts.count() == 2
    campaign.refresh_from_db()
    assert (campaign.gift_count, campaign.donor_count) == (2, 1)
