"""Refunds by staff and from Stripe's dashboard, and card disputes."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.utils import translation
from djmoney.money import Money

from conftest import stripe_client
from payments.models import Gift, Refund
from payments.refunds import (
    RefundRefused,
    gift_apply_dispute,
    gift_refund,
    gift_sync_refunds_from_stripe,
)
from payments.tests.test_webhook import event_body, post
from receipts.models import Receipt

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """Refusals are read in the language of whoever asks; these read English."""
    with translation.override("en"):
        yield


def stripe_refunded_minor(gift) -> int:
    return stripe_client().v1.charges.retrieve(gift.stripe_charge_id).amount_refunded


def test_full_refund_gives_the_money_back_and_undoes_totals_and_receipt(
    stripe_paid_gift, eager_tasks, django_capture_on_commit_callbacks
):
    gift = stripe_paid_gift("100.00")
    receipt = gift.receipts.get()

    with django_capture_on_commit_callbacks(execute=True):
        gift_refund(gift.pk, amount=None, reason="donor asked")

    gift.refresh_from_db()
    gift.campaign.refresh_from_db()
    receipt.refresh_from_db()
    assert stripe_refunded_minor(gift) == 10000
    assert gift.status == Gift.Status.REFUNDED
    assert gift.refunded_amount == Money(Decimal("100.00"), "EUR")
    assert (
        gift.campaign.raised.amount,
        gift.campaign.gift_count,
        gift.campaign.donor_count,
    ) == (0, 0, 0)
    assert receipt.status == Receipt.Status.CANCELLED
    assert receipt.cancel_reason == "donor asked"
    assert [m.subject for m in mail.outbox if receipt.number in m.subject]


def test_partial_refund_replaces_the_receipt_for_the_amount_kept(stripe_paid_gift):
    gift = stripe_paid_gift("100.00")
    old = gift.receipts.get()

    gift_refund(gift.pk, amount=Decimal("40.00"), reason="part of it")

    gift.refresh_from_db()
    gift.campaign.refresh_from_db()
    new = gift.receipts.get(status=Receipt.Status.ISSUED)
    assert gift.status == Gift.Status.PAID
    assert gift.net_amount == Money(Decimal("60.00"), "EUR")
    assert gift.campaign.raised.amount == Decimal("60.00")
    assert gift.campaign.gift_count == 1
    assert new.amount.amount == Decimal("60.00")
    assert new.replaces == old
    assert stripe_refunded_minor(gift) == 4000


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        (Decimal("100.01"), "too much", "is left to refund"),
        (Decimal("0"), "zero", "more than zero"),
        (Decimal("-5"), "negative", "more than zero"),
        (Decimal("1.005"), "decimals", "too many decimals"),
        (Decimal("10"), "  ", "A reason is required"),
    ],
)
def test_impossible_refund_is_refused_and_changes_nothing(
    stripe_paid_gift, amount, reason, message
):
    gift = stripe_paid_gift("100.00")

    with pytest.raises(RefundRefused, match=message):
        gift_refund(gift.pk, amount=amount, reason=reason)

    gift.refresh_from_db()
    assert gift.refunded_amount.amount == 0
    assert stripe_refunded_minor(gift) == 0
    assert not Refund.objects.exists()


def test_second_full_refund_is_refused(stripe_paid_gift):
    gift = stripe_paid_gift("100.00")
    gift_refund(gift.pk, amount=None, reason="first")

    with pytest.raises(RefundRefused, match="only paid gifts"):
        gift_refund(gift.pk, amount=None, reason="second")
    assert stripe_refunded_minor(gift) == 10000


def test_refund_of_an_unpaid_gift_is_refused(make_gift):
    gift = make_gift()

    with pytest.raises(RefundRefused, match="only paid gifts"):
        gift_refund(gift.pk, amount=None, reason="x")


def test_retry_after_a_failure_once_stripe_refunded_refunds_once(
    stripe_paid_gift, monkeypatch
):
    gift = stripe_paid_gift("100.00")
    calls = []

    def fail_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return original(**kwargs)

    import payments.refunds as refunds

    original = refunds.campaign_record_refund
    monkeypatch.setattr(refunds, "campaign_record_refund", fail_once)
    with pytest.raises(RuntimeError):
        gift_refund(gift.pk, amount=Decimal("30.00"), reason="retry me")

    gift_refund(gift.pk, amount=Decimal("30.00"), reason="retry me")

    gift.refresh_from_db()
    assert stripe_refunded_minor(gift) == 3000
    assert Refund.objects.count() == 1
    assert gift.refunded_amount.amount == Decimal("30.00")


def test_refund_made_in_the_stripe_dashboard_arrives_by_webhook_once(
    client, stripe_paid_gift
):
    gift = stripe_paid_gift("100.00")
    stripe_client().v1.refunds.create(
        params={"payment_intent": gift.stripe_payment_intent_id, "amount": 2500}
    )
    charge = stripe_client().v1.charges.retrieve(gift.stripe_charge_id).to_dict()
    body = event_body("evt_refund_dash", "charge.refunded", charge)

    assert post(client, body).status_code == 200
    assert post(client, body).status_code == 200

    gift.refresh_from_db()
    refund = Refund.objects.get()
    assert (refund.source, refund.amount.amount) == (
        Refund.Source.STRIPE,
        Decimal("25.00"),
    )
    assert gift.receipts.get(status=Receipt.Status.ISSUED).amount.amount == Decimal(
        "75.00"
    )


def test_webhook_for_a_refund_made_here_counts_nothing_twice(client, stripe_paid_gift):
    gift = stripe_paid_gift("100.00")
    gift_refund(gift.pk, amount=Decimal("10.00"), reason="here")
    charge = stripe_client().v1.charges.retrieve(gift.stripe_charge_id).to_dict()

    post(client, event_body("evt_refund_here", "charge.refunded", charge))

    gift.refresh_from_db()
    assert Refund.objects.count() == 1
    assert gift.refunded_amount.amount == Decimal("10.00")
    assert gift_sync_refunds_from_stripe(gift.pk) is None


def test_lost_dispute_takes_the_money_back_once(stripe_paid_gift):
    gift = stripe_paid_gift("100.00")

    for _attempt in range(2):
        gift_apply_dispute(
            gift.pk,
            stripe_dispute_id="dp_1",
            status="lost",
            amount_minor=10000,
            currency="EUR",
        )

    gift.refresh_from_db()
    assert gift.status == Gift.Status.REFUNDED
    assert Refund.objects.get().source == Refund.Source.DISPUTE
    assert gift.receipts.get().status == Receipt.Status.CANCELLED


def test_dispute_events_are_recorded_and_a_won_one_changes_no_money(
    client, stripe_paid_gift
):
    gift = stripe_paid_gift("100.00")
    dispute = {
        "id": "dp_2",
        "object": "dispute",
        "charge": gift.stripe_charge_id,
        "amount": 10000,
        "currency": "eur",
    }

    post(
        client,
        event_body(
            "evt_dp_open",
            "charge.dispute.created",
            {**dispute, "status": "needs_response"},
        ),
    )
    post(
        client,
        event_body("evt_dp_won", "charge.dispute.closed", {**dispute, "status": "won"}),
    )

    gift.refresh_from_db()
    assert gift.status == Gift.Status.PAID
    assert set(gift.events.values_list("kind", flat=True)) >= {
        "dispute_created",
        "dispute_won",
    }
    assert not Refund.objects.exists()


def test_staff_without_refund_permission_cannot_refund(client, stripe_paid_gift):
    gift = stripe_paid_gift("100.00")
    client.force_login(User.objects.create_user("viewer", password="x", is_staff=True))

    response = client.post(f"/admin/payments/gift/{gift.pk}/refund/", {"reason": "x"})

    assert response.status_code == 403
    assert not Refund.objects.exists()


def test_staff_refund_in_the_admin(client, stripe_paid_gift):
    gift = stripe_paid_gift("100.00")
    staff = User.objects.create_user("finance", password="x", is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="refund_gift"),
        Permission.objects.get(codename="view_gift"),
    )
    client.force_login(staff)

    too_much = client.post(
        f"/admin/payments/gift/{gift.pk}/refund/",
        {"amount": "500", "reason": "x", "request_id": str(uuid.uuid4())},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    form = {"amount": "20", "reason": "asked", "request_id": str(uuid.uuid4())}
    done = client.post(f"/admin/payments/gift/{gift.pk}/refund/", form)
    again = client.post(f"/admin/payments/gift/{gift.pk}/refund/", form)

    assert too_much.status_code == 400
    assert b"is left to refund" in too_much.content
    assert (done.status_code, again.status_code) == (302, 302)
    refund = Refund.objects.get()
    assert (refund.actor, refund.amount.amount) == (staff, Decimal("20.00"))


def test_the_same_request_sent_twice_refunds_once(stripe_paid_gift):
    gift = stripe_paid_gift("100.00")

    first = gift_refund(
        gift.pk, amount=Decimal("10"), reason="asked", request_id="req-1"
    )
    second = gift_refund(
        gift.pk, amount=Decimal("10"), reason="asked", request_id="req-1"
    )

    assert first == second
    assert stripe_refunded_minor(gift) == 1000


def test_a_gift_paid_outside_stripe_is_refunded_by_bank_and_recorded(paid_gift):
    gift = paid_gift("60.00", method=Gift.Method.TRANSFER)

    refund = gift_refund(gift.pk, amount=Decimal("60.00"), reason="transfer sent back")

    gift.refresh_from_db()
    assert refund.source == Refund.Source.MANUAL
    assert gift.status == Gift.Status.REFUNDED


def test_refund_amount_may_be_typed_the_french_way(client, stripe_paid_gift):
    gift = stripe_paid_gift("100.00")
    client.force_login(User.objects.create_superuser("boss", password="x"))

    client.post(
        f"/admin/payments/gift/{gift.pk}/refund/",
        {"amount": "5,5", "reason": "x", "request_id": str(uuid.uuid4())},
    )

    assert Refund.objects.get().amount.amount == Decimal("5.50")
