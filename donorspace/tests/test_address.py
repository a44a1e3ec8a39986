"""The address page: what receipts will print, confirmed or corrected."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.urls import reverse
from freezegun import freeze_time
from pypdf import PdfReader

from donors.models import AddressCheck
from donorspace.tests.test_space import english_client, sign_in
from payments.gateway import IntentState
from payments.models import Gift
from payments.services import gift_mark_paid
from receipts.annual import receipt_issue_annual
from receipts.services import receipt_issue_for_gift

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
URL = reverse("donorspace:address")
GIFTS_URL = reverse("donorspace:gifts")
NEW_ADDRESS = {
    "action": "correct",
    "address_line": "3 place du Panthéon",
    "postal_code": "75005",
    "city": "Paris",
    "country": "FR",
}


def pdf_text(receipt) -> str:
    with receipt.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def anne(make_donor):
    return make_donor(
        email="anne.martin@example.org",
        address_line="12 rue des Écoles",
        postal_code="75005",
        city="Paris",
    )


@pytest.fixture
def client(anne):
    return sign_in(english_client(), anne)


def test_the_page_shows_the_address_receipts_will_print(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert "12 rue des Écoles<br>75005 Paris<br>France" in response.text


def test_an_open_check_is_announced_on_the_gifts_page_until_confirmed(client, anne):
    # given Anne was asked to check her address for this year
    AddressCheck.objects.create(donor=anne, year=2026, emailed_at=datetime.now(PARIS))

    # when she looks at her gifts, then confirms
    with freeze_time("2026-12-04 10:00"):
        before = client.get(GIFTS_URL)
        confirmed = client.post(URL, {"action": "confirm"})
        after = client.get(GIFTS_URL)

    # then the notice shows until she confirms, and the time is stored
    assert 'data-testid="address-check-open"' in before.text
    assert confirmed.status_code == 302
    check = AddressCheck.objects.get()
    assert check.confirmed_at == datetime(2026, 12, 4, 11, 0, tzinfo=PARIS)
    assert check.corrected_at is None
    assert 'data-testid="address-check-open"' not in after.text
    assert "You confirmed it on" in client.get(URL).text


def test_a_correction_is_saved_and_marks_the_check_answered(client, anne):
    response = client.post(URL, NEW_ADDRESS)

    assert response.status_code == 302
    anne.refresh_from_db()
    assert (anne.address_line, anne.postal_code, anne.city) == (
        "3 place du Panthéon",
        "75005",
        "Paris",
    )
    assert AddressCheck.objects.get(donor=anne).corrected_at is not None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"postal_code": "7500"}, "postal_code", "five digits"),
        ({"postal_code": "75O05"}, "postal_code", "five digits"),
        ({"postal_code": "７５００５"}, "postal_code", "five digits"),
        ({"city": "   "}, "city", "required"),
        ({"address_line": ""}, "address_line", "required"),
        ({"country": "XX"}, "country", "valid choice"),
    ],
    ids=["four-digits", "letter-o", "full-width", "blank-city", "no-line", "country"],
)
def test_a_bad_address_is_refused_and_changes_nothing(
    client, anne, changes, field, message
):
    response = client.post(URL, {**NEW_ADDRESS, **changes})

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    anne.refresh_from_db()
    assert anne.address_line == "12 rue des Écoles"
    assert not AddressCheck.objects.exists()


def test_a_foreign_postcode_keeps_its_own_form(client, anne):
    client.post(
        URL,
        {**NEW_ADDRESS, "postal_code": "1000", "city": "Bruxelles", "country": "BE"},
    )

    anne.refresh_from_db()
    assert (anne.postal_code, anne.country) == ("1000", "BE")


def test_signed_out_visitors_cannot_change_an_address(anne):
    response = english_client().post(URL, NEW_ADDRESS)

    assert response.status_code == 302
    assert response["Location"] == reverse("donorspace:request")
    anne.refresh_from_db()
    assert anne.address_line == "12 rue des Écoles"


def test_the_annual_receipt_prints_the_corrected_address_and_old_ones_keep_theirs(
    client, anne, paid_gift
):
    # given a 2025 gift receipted on its own, and two for the annual summary
    own = paid_gift("20.00", donor=anne)
    earlier = receipt_issue_for_gift(own.pk, notify=False)
    for amount in ("30.00", "45.50"):
        gift = paid_gift(amount, donor=anne, receipt_mode="annual")
        Gift.objects.filter(pk=gift.pk).update(
            paid_at=datetime(2025, 6, 5, 10, tzinfo=PARIS)
        )

    # when Anne corrects her address, then the summary is issued
    client.post(URL, NEW_ADDRESS)
    summary = receipt_issue_annual(anne.pk, 2025, notify=False)

    # then the summary prints the new address; the earlier receipt the old
    assert "3 place du Panthéon" in pdf_text(summary)
    assert "12 rue des Écoles" not in pdf_text(summary)
    earlier.refresh_from_db()
    assert "12 rue des Écoles" in pdf_text(earlier)
    assert "3 place du Panthéon" not in pdf_text(earlier)


def test_a_gift_form_filled_before_a_correction_does_not_undo_it(
    client, anne, make_gift, paid_gift
):
    # given a gift form Anne filled with her old address, paid only later
    # (a slow bank check), and her correction in the space in between
    old = {"address_line": "12 rue des Écoles", "postal_code": "75005"}
    details = {"city": "Paris", "country": "FR", "first_name": "Anne", **old}
    gift = make_gift(donor=anne, donor_details=details)
    client.post(URL, NEW_ADDRESS)

    # when that gift is paid
    intent = IntentState(
        id="", status="succeeded", client_secret="", amount_minor=5000, currency="EUR"
    )
    with transaction.atomic():
        gift_mark_paid(
            Gift.objects.select_for_update().get(pk=gift.pk), intent, source="test"
        )

    # then the corrected address stays, and a later form's address applies
    anne.refresh_from_db()
    assert anne.address_line == "3 place du Panthéon"
    paid_gift(donor=anne, donor_details={**details, "address_line": "9 rue Neuve"})
    anne.refresh_from_db()
    assert anne.address_line == "9 rue Neuve"
