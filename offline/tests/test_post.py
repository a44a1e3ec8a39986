"""Posting a batch: balanced batches become paid gifts, anything wrong
posts nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone, translation
from djmoney.money import Money

from dashboard.models import DailyTotal
from donors.models import Donor
from offline.models import Batch, BatchLine
from offline.services import BatchRefused, batch_post
from offline.tests.conftest import COMPANY
from payments.models import Gift, GiftEvent
from receipts.models import Receipt

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """Refusals are read in the language of whoever asks; these read English."""
    with translation.override("en"):
        yield


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def refusal(batch, actor) -> list[str]:
    with pytest.raises(BatchRefused) as caught:
        batch_post(batch.pk, actor=actor)
    return caught.value.problems


def assert_nothing_posted(batch, campaign):
    batch.refresh_from_db()
    campaign.refresh_from_db()
    assert batch.status == Batch.Status.DRAFT
    assert batch.posted_at is None
    assert Gift.objects.count() == 0
    assert campaign.raised == eur("0")
    assert not BatchLine.objects.filter(gift__isnull=False).exists()


def test_balanced_batch_posts_one_paid_gift_per_line_and_moves_totals(
    make_batch, campaign, poster, eager_tasks, django_capture_on_commit_callbacks
):
    # given a cheque, a transfer and cash, counted and added up
    batch = make_batch(
        {},
        {
            "method": "transfer",
            "amount": eur("1000.00"),
            "transfer_reference": "VIR SEPA ACME 2026-03",
            "cheque_number": "",
            "cheque_date": None,
            **COMPANY,
            "email": "mecenat@acme.example",
        },
        {
            "method": "cash",
            "amount": eur("20.50"),
            "cheque_number": "",
            "cheque_date": None,
            "first_name": "Léa",
            "last_name": "Petit",
            "email": "lea.petit@example.org",
            "postal_code": "75013",
        },
    )

    # when the treasurer posts it
    with django_capture_on_commit_callbacks(execute=True):
        batch_post(batch.pk, actor=poster)

    # then each line is a paid gift with its own method and date
    batch.refresh_from_db()
    assert batch.status == Batch.Status.POSTED
    assert (batch.posted_by, batch.posted_at is not None) == (poster, True)
    from roles.models import AuditEntry

    entry = AuditEntry.objects.get(action="offline.batch_posted")
    assert (entry.actor, entry.object_id) == (poster, str(batch.pk))
    gifts = Gift.objects.order_by("pk")
    assert [(g.method, g.amount, g.status) for g in gifts] == [
        ("cheque", eur("150.00"), "paid"),
        ("transfer", eur("1000.00"), "paid"),
        ("cash", eur("20.50"), "paid"),
    ]
    assert {g.received_on for g in gifts} == {datetime.date(2026, 3, 2)}
    # A cheque gives no consent to be named publicly.
    assert {g.anonymous for g in gifts} == {True}
    assert all(g.paid_at for g in gifts)
    assert [line.gift_id for line in batch.lines.order_by("pk")] == [
        g.pk for g in gifts
    ]
    # and the campaign and the dashboard count them like online gifts
    campaign.refresh_from_db()
    assert campaign.raised == eur("1170.50")
    assert (campaign.gift_count, campaign.donor_count) == (3, 3)
    by_method = {d.method: (d.gifts, d.amount) for d in DailyTotal.objects.all()}
    assert by_method == {
        "cheque": (1, Decimal("150.00")),
        "transfer": (1, Decimal("1000.00")),
        "cash": (1, Decimal("20.50")),
    }
    # and the history says who posted what
    paid = GiftEvent.objects.get(gift=gifts[0], kind="paid")
    assert paid.actor == poster
    assert paid.data["source"] == "offline"
    assert paid.data["cheque_number"] == "0012345"
    assert paid.data["batch"] == batch.pk
    # and every donor gets a receipt dated by the day the money arrived
    receipts = Receipt.objects.filter(gift__in=gifts)
    assert receipts.count() == 3
    assert {r.snapshot["payments"][0]["date"] for r in receipts} == {"2026-03-02"}
    assert len(mail.outbox) == 3


def test_new_donors_are_created_from_the_line(make_batch, poster):
    batch = make_batch(
        {"language": "en", "receipt_preference": "annual", "anonymous": False}
    )

    batch_post(batch.pk, actor=poster)

    donor = Donor.objects.get()
    assert (donor.email, donor.first_name, donor.last_name, donor.postal_code) == (
        "paul.durand@example.org",
        "Paul",
        "Durand",
        "75005",
    )
    assert (donor.language, donor.receipt_preference) == ("en", "annual")
    gift = Gift.objects.get()
    assert (gift.receipt_mode, gift.anonymous) == ("annual", False)


def test_batch_with_a_line_missing_is_refused_and_nothing_is_posted(
    make_batch, campaign, poster
):
    batch = make_batch({}, {"email": "b@example.org"}, expected_count=3)

    problems = refusal(batch, poster)

    assert problems == ["The batch should hold 3 gifts but has 2."]
    assert_nothing_posted(batch, campaign)
    assert Donor.objects.count() == 0


def test_batch_whose_lines_do_not_add_up_is_refused(make_batch, campaign, poster):
    batch = make_batch({}, {"email": "b@example.org"}, expected_total=eur("300.01"))

    problems = refusal(batch, poster)

    assert problems == ["The lines add up to €300.00, not the expected €300.01."]
    assert_nothing_posted(batch, campaign)


def test_total_in_another_currency_is_refused(make_batch, campaign, poster):
    batch = make_batch(expected_total=Money(Decimal("150.00"), "CZK"))

    problems = refusal(batch, poster)

    assert problems == ["The expected total is in CZK but the campaign takes EUR."]
    assert_nothing_posted(batch, campaign)


def test_line_in_another_currency_is_refused(make_batch, campaign, poster):
    batch = make_batch(
        {"amount": Money(Decimal("150.00"), "DKK")}, expected_total=eur("150.00")
    )

    assert refusal(batch, poster) == [
        "Line 1: The amount is in DKK but the campaign takes EUR."
    ]
    assert_nothing_posted(batch, campaign)


def test_cheque_without_its_number_is_refused(make_batch, campaign, poster):
    batch = make_batch({}, {"email": "b@example.org"})
    line = batch.lines.last()
    BatchLine.objects.filter(pk=line.pk).update(cheque_number="")

    problems = refusal(batch, poster)

    assert problems == ["Line 2: A cheque needs its number."]
    assert_nothing_posted(batch, campaign)


def test_cheque_date_is_required_by_the_line_and_the_database(make_batch):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    batch = make_batch()
    line = batch.lines.get()
    line.cheque_date = None

    with pytest.raises(ValidationError) as caught:
        line.full_clean()
    assert "A cheque needs the date written on it." in caught.value.messages
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()


def test_zero_or_negative_amounts_are_refused(make_batch, campaign, poster):
    from django.core.exceptions import ValidationError

    batch = make_batch()
    line = batch.lines.get()
    for amount in ("0.00", "-5.00"):
        line.amount = eur(amount)
        with pytest.raises(ValidationError) as caught:
            line.full_clean()
        assert "The amount must be more than zero." in caught.value.messages

    # A batch whose own total is zero cannot even be stored.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        make_batch(expected_total=eur("0"))
    assert_nothing_posted(batch, campaign)


def test_date_received_in_the_future_is_refused(make_batch, campaign, poster):
    tomorrow = timezone.localdate() + datetime.timedelta(days=2)
    batch = make_batch({"received_on": tomorrow})

    assert refusal(batch, poster) == [
        "Line 1: The date the gift was received is in the future."
    ]
    assert_nothing_posted(batch, campaign)


def test_transfer_without_reference_and_company_without_siren_are_refused(
    make_batch, campaign, poster
):
    batch = make_batch(
        {
            "method": "transfer",
            "cheque_number": "",
            "cheque_date": None,
            **COMPANY,
            "siren": "732829321",
        }
    )

    assert refusal(batch, poster) == [
        "Line 1: A transfer needs the reference on the bank statement.",
        "Line 1: The company's SIREN is missing or wrong.",
    ]
    assert_nothing_posted(batch, campaign)


def test_posting_a_posted_batch_again_is_refused_and_adds_nothing(
    make_batch, campaign, poster
):
    batch = make_batch({}, {"email": "b@example.org"})
    batch_post(batch.pk, actor=poster)

    assert refusal(batch, poster) == ["This batch is already posted."]

    campaign.refresh_from_db()
    assert Gift.objects.count() == 2
    assert campaign.raised == eur("300.00")


def test_cheque_received_in_december_is_receipted_in_that_year(
    make_batch, poster, campaign, eager_tasks, django_capture_on_commit_callbacks
):
    # given a cheque that arrived on 31 December and is typed in January
    campaign.starts_on = datetime.date(2025, 9, 1)
    campaign.save()
    batch = make_batch({"received_on": datetime.date(2025, 12, 31)})

    with django_capture_on_commit_callbacks(execute=True):
        batch_post(batch.pk, actor=poster)

    # then its receipt belongs to the year the cheque was received
    receipt = Receipt.objects.get()
    assert receipt.year == 2025
    assert receipt.number.startswith("2025-")
    assert receipt.snapshot["payments"][0]["method"] == "cheque"


@pytest.mark.parametrize(
    ("received_on", "message"),
    [
        (datetime.date(1900, 1, 1), "before"),
        (datetime.date(2025, 12, 31), "before"),  # the campaign began in 2026
        (datetime.date(2099, 1, 1), "future"),
    ],
)
def test_a_received_date_outside_the_open_years_is_refused(
    make_batch, poster, received_on, message
):
    from offline.services import BatchRefused

    batch = make_batch({"received_on": received_on, "cheque_date": received_on})
    with pytest.raises(BatchRefused, match=message):
        batch_post(batch.pk, actor=poster)
    assert not Gift.objects.exists()


def test_an_existing_donor_with_another_name_is_refused_without_an_email(
    make_batch, make_donor, poster
):
    from offline.services import BatchRefused

    someone = make_donor(email="someone@example.org", first_name="Marie")
    batch = make_batch(
        {
            "email": "",
            "donor_choice": "existing",
            "donor": someone,
            "first_name": "Totally",
            "last_name": "Different",
        }  # fmt: skip
    )
    with pytest.raises(BatchRefused, match="another name"):
        batch_post(batch.pk, actor=poster)
    someone.refresh_from_db()
    assert someone.first_name == "Marie"


def test_a_card_gift_cannot_be_recorded_as_offline(make_donor, campaign):
    from payments.services import GiftStateError, gift_record_offline

    with pytest.raises(GiftStateError):
        gift_record_offline(
            donor=make_donor(),
            campaign=campaign,
            amount=eur("10.00"),
            method="card",
            received_on=datetime.date(2026, 3, 2),
            donor_details={},
        )
    assert Gift.objects.count() == 0
