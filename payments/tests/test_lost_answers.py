"""A charge whose answer never reached us is found again, never taken twice."""

import json

import pytest
from django.urls import reverse

from conftest import confirm_setup_in_browser, stripe_client
from payments import gateway
from payments.models import Gift
from payments.tests.test_webhook import event_body, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def answer_lost_once(monkeypatch):
    """Stripe charges, then the connection drops before its answer arrives."""
    real = gateway.payment_intent_charge
    calls = []

    def charge_then_drop(**kwargs):
        intent = real(**kwargs)
        calls.append(intent)
        if len(calls) == 1:
            raise gateway.GatewayUnavailable("connection reset")
        return intent

    monkeypatch.setattr(gateway, "payment_intent_charge", charge_then_drop)
    return calls


def pay(client, gift):
    return client.post(
        reverse("campaigns:gift_pay", args=[gift.token]),
        json.dumps({"setup_intent": gift.stripe_setup_intent_id}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_donor_is_told_to_retry_not_that_nothing_was_charged(
    client, pending_gift_factory, answer_lost_once
):
    gift = pending_gift_factory()
    confirm_setup_in_browser(gift)

    response = pay(client, gift)

    assert response.status_code == 503
    assert "will not be charged twice" in response.json()["error"]


def test_retrying_the_same_gift_returns_the_first_charge(
    client, pending_gift_factory, answer_lost_once
):
    gift = pending_gift_factory()
    confirm_setup_in_browser(gift)
    pay(client, gift)

    response = pay(client, gift)

    gift.refresh_from_db()
    assert response.json()["status"] == "paid"
    assert gift.status == Gift.Status.PAID
    assert answer_lost_once[0].id == answer_lost_once[1].id
    assert len(stripe_client().v1.payment_intents.list().data) == 1


def test_webhook_pays_the_gift_whose_intent_was_never_recorded(
    client, pending_gift_factory, answer_lost_once
):
    gift = pending_gift_factory()
    confirm_setup_in_browser(gift)
    pay(client, gift)
    gift.refresh_from_db()
    assert gift.stripe_payment_intent_id == ""
    intent = (
        stripe_client().v1.payment_intents.retrieve(answer_lost_once[0].id).to_dict()
    )

    response = post(client, event_body("evt_lost", "payment_intent.succeeded", intent))

    gift.refresh_from_db()
    gift.campaign.refresh_from_db()
    assert response.status_code == 200
    assert gift.status == Gift.Status.PAID
    assert gift.stripe_payment_intent_id == intent["id"]
    assert gift.campaign.gift_count == 1


def test_a_second_successful_charge_is_flagged_not_counted(client, stripe_paid_gift):
    gift = stripe_paid_gift("50.00")
    other = stripe_client().v1.payment_intents.create(
        params={
            "amount": 5000,
            "currency": "eur",
            "customer": gift.stripe_customer_id,
            "payment_method": gift.stripe_payment_method_id,
            "confirm": True,
            "metadata": {"gift_id": str(gift.pk)},
        }
    )

    post(client, event_body("evt_second", "payment_intent.succeeded", other.to_dict()))

    gift.refresh_from_db()
    gift.campaign.refresh_from_db()
    assert gift.campaign.gift_count == 1
    assert gift.events.filter(kind="duplicate_charge").exists()


def test_confirm_of_a_payment_never_started_is_refused(client, make_gift):
    gift = make_gift()

    response = client.post(reverse("campaigns:gift_confirm", args=[gift.token]))

    assert response.status_code == 409
    assert (
        client.get(reverse("campaigns:gift_thanks", args=[gift.token])).status_code
        == 404
    )
