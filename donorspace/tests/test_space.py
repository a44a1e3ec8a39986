"""What a signed-in donor sees: gifts, receipts, their data, and no one else's."""

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from djmoney.money import Money

from donorspace import services
from donorspace.models import ErasureRequest
from payments.models import Gift, Refund
from receipts.annual import receipt_issue_annual
from receipts.corrections import receipt_cancel
from receipts.models import ReceiptEvent
from receipts.services import receipt_issue_for_gift

pytestmark = pytest.mark.django_db


def english_client() -> Client:
    # English pages, so that assertions on words hold once French is written.
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def client():
    return english_client()


PARIS = ZoneInfo("Europe/Paris")
GIFTS_URL = reverse("donorspace:gifts")


def sign_in(client, donor):
    token = services.signin_link_create(donor, ip="203.0.113.5")
    client.post(reverse("donorspace:signin", args=[token]))
    return client


def pdf_url(receipt):
    return reverse("donorspace:receipt_pdf", args=[receipt.number])


@pytest.fixture
def anne(make_donor):
    return make_donor(email="anne.martin@example.org", first_name="Anne")


@pytest.fixture
def paul(make_donor):
    return make_donor(
        email="paul.durand@example.org", first_name="Paul", last_name="Durand"
    )


@pytest.fixture
def receipted_gift(paid_gift):
    """A paid gift with its own receipt, for the donor given."""

    def make(donor, amount="50.00"):
        gift = paid_gift(amount, donor=donor)
        return gift, receipt_issue_for_gift(gift.pk, notify=False)

    return make


def test_gifts_page_lists_only_the_donors_own_gifts_and_receipts(
    client, anne, paul, receipted_gift
):
    # given a receipted gift from each of two donors
    _gift, own = receipted_gift(anne, "75.00")
    _other_gift, others = receipted_gift(paul, "120.00")

    # when Anne looks at her gifts
    response = sign_in(client, anne).get(GIFTS_URL)

    # then she sees her gift and receipt, and nothing of Paul's
    assert response.status_code == 200
    assert list(response.context["gifts"]) == [_gift]
    assert list(response.context["receipts"]) == [own]
    assert own.number in response.text
    assert others.number not in response.text
    assert "120" not in response.text


def test_failed_and_abandoned_gifts_are_not_listed(client, anne, make_gift):
    # given a declined gift and a donate form left before paying, under
    # Anne's address (anyone can type it into the donate form)
    make_gift(donor=anne, status=Gift.Status.FAILED)
    make_gift(donor=anne, status=Gift.Status.PENDING)

    # when Anne looks at her gifts
    response = sign_in(client, anne).get(GIFTS_URL)

    # then neither is listed
    assert list(response.context["gifts"]) == []
    assert "No gift yet." in response.text


def test_a_refund_shows_under_its_gift(client, anne, paid_gift):
    # given a 100 € gift of which 40 € were refunded
    gift = paid_gift("100.00", donor=anne)
    Refund.objects.create(
        gift=gift, amount=Money(Decimal("40.00"), "EUR"), source="staff"
    )
    Gift.objects.filter(pk=gift.pk).update(refunded_amount=Decimal("40.00"))

    # when Anne looks at her gifts, in English
    response = sign_in(client, anne).get(GIFTS_URL)

    # then the refund is shown with the gift
    assert "€40 refunded on" in response.text


def test_the_annual_summary_is_listed_with_the_gifts_it_covers(client, anne, paid_gift):
    # given two 2025 gifts receipted by one annual summary
    for amount in ("30.00", "45.50"):
        gift = paid_gift(amount, donor=anne, receipt_mode="annual")
        Gift.objects.filter(pk=gift.pk).update(
            paid_at=datetime(2025, 6, 5, 10, tzinfo=PARIS)
        )
    summary = receipt_issue_annual(anne.pk, 2025, notify=False)

    # when Anne looks at her gifts
    response = sign_in(client, anne).get(GIFTS_URL)

    # then the summary is among her receipts, and each gift points to it
    assert list(response.context["receipts"]) == [summary]
    assert "Annual summary of your 2025 gifts" in response.text
    assert {gift.receipt_number for gift in response.context["gifts"]} == {
        summary.number
    }


def test_downloading_a_receipt_returns_its_pdf_and_records_the_event(
    client, anne, receipted_gift
):
    # given Anne's receipt
    _gift, receipt = receipted_gift(anne)

    # when she downloads it
    response = sign_in(client, anne).get(pdf_url(receipt))

    # then she gets the stored PDF, and the download is on the receipt's trail
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"recu-fiscal-{receipt.number}.pdf" in response["Content-Disposition"]
    with receipt.pdf.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    event = ReceiptEvent.objects.get(kind=ReceiptEvent.Kind.DOWNLOADED)
    assert event.receipt == receipt
    assert event.data == {"by": "donor"}
    assert event.actor is None


def test_another_donors_receipt_is_not_found(client, anne, paul, receipted_gift):
    # given a receipt of Paul's
    _gift, others = receipted_gift(paul)

    # when Anne asks for it by its number, and for a number that does not exist
    sign_in(client, anne)
    someone_elses = client.get(pdf_url(others))
    nobodys = client.get(reverse("donorspace:receipt_pdf", args=["2026-999999"]))

    # then both get the same 404, and nothing is recorded
    assert someone_elses.status_code == nobodys.status_code == 404
    assert someone_elses.content == nobodys.content
    assert not ReceiptEvent.objects.filter(kind=ReceiptEvent.Kind.DOWNLOADED).exists()


def test_a_cancelled_receipt_is_listed_but_not_served(client, anne, receipted_gift):
    # given Anne's receipt, cancelled after a refund
    _gift, receipt = receipted_gift(anne)
    receipt_cancel(receipt.pk, reason="refunded", notify=False)

    # when she looks at it and tries to download it
    sign_in(client, anne)
    listed = client.get(GIFTS_URL)
    download = client.get(pdf_url(receipt))

    # then it is shown as cancelled, with no PDF to use
    assert "Cancelled: do not use" in listed.text
    assert pdf_url(receipt) not in listed.text
    assert download.status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", GIFTS_URL),
        ("get", reverse("donorspace:export")),
        ("get", reverse("donorspace:receipt_pdf", args=["2026-000001"])),
        ("post", reverse("donorspace:erasure")),
    ],
)
def test_signed_out_visitors_are_sent_to_the_sign_in_page(
    client, anne, receipted_gift, method, url
):
    # given a receipt exists, and a visitor who is not signed in
    receipted_gift(anne)

    # when they open a page of the space
    response = getattr(client, method)(url)

    # then they are sent to ask for a link, and nothing is recorded
    assert response.status_code == 302
    assert response["Location"] == reverse("donorspace:request")
    assert not ErasureRequest.objects.exists()
    assert not ReceiptEvent.objects.filter(kind=ReceiptEvent.Kind.DOWNLOADED).exists()


def test_the_export_has_the_donors_data_and_no_one_elses(
    client, anne, paul, receipted_gift
):
    # given a receipted gift from each of two donors
    gift, receipt = receipted_gift(anne, "75.50")
    receipted_gift(paul, "120.00")

    # when Anne downloads her data
    response = sign_in(client, anne).get(reverse("donorspace:export"))

    # then it is a JSON attachment with her details, gift and receipt, with
    # amounts as strings, and nothing of Paul's
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["donor"]["email"] == anne.email
    assert [g["reference"] for g in data["gifts"]] == [str(gift.token)]
    assert data["gifts"][0]["amount"] == {"amount": "75.50", "currency": "EUR"}
    assert data["receipts"] == [
        {
            "number": receipt.number,
            "kind": "gift",
            "status": "issued",
            "amount": {"amount": "75.50", "currency": "EUR"},
            "issued_at": data["receipts"][0]["issued_at"],
            "cancelled_at": None,
            "gift": str(gift.token),
        }
    ]
    assert {"receipt": receipt.number, "kind": "issued"}.items() <= (
        [e for e in data["events"] if "receipt" in e][0].items()
    )
    assert len(data["sign_in_links"]) == 1
    text = response.content.decode()
    assert "paul" not in text.lower()
    assert "120.00" not in text


def test_an_erasure_request_is_recorded_once(client, anne, settings):
    # given a signed-in donor, and finance listed as admins
    settings.ADMINS = [("Finance", "finance@example.org")]
    sign_in(client, anne)

    # when they press the button twice
    first = client.post(reverse("donorspace:erasure"))
    client.post(reverse("donorspace:erasure"))

    # then one open request is recorded, finance is told once, by donor id,
    # and the page says so, keeping receipts six years
    assert first.status_code == 302
    request = ErasureRequest.objects.get()
    assert request.donor == anne
    assert request.handled_at is None
    assert [message.to for message in mail.outbox] == [["finance@example.org"]]
    assert f"donor #{anne.pk}" in mail.outbox[0].subject
    assert anne.email not in mail.outbox[0].body
    page = client.get(GIFTS_URL).text
    assert "within a month" in page
    assert "six years" in page
    assert 'data-testid="erasure-recorded"' in page


def test_a_new_erasure_request_can_follow_a_handled_one(anne):
    # given a request finance has handled
    first, _created = services.erasure_request_record(anne)
    ErasureRequest.objects.filter(pk=first.pk).update(handled_at=first.requested_at)

    # when the donor asks again
    second, created = services.erasure_request_record(anne)

    # then a second request is open
    assert created
    assert second.pk != first.pk
    assert ErasureRequest.objects.filter(handled_at__isnull=True).get() == second
