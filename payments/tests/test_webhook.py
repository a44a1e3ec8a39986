"""The webhook protocol: verified, stored once, applied once."""

import hashlib
import hmac
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import confirm_setup_in_browser, stripe_client
from payments.models import Gift, StripeEvent
from payments.services import gift_charge

URL = "/stripe/webhook/"


def sign(body: bytes, *, secret=None, timestamp=None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    secret = secret or settings.STRIPE_WEBHOOK_SECRET
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def event_body(event_id, event_type, obj) -> bytes:
    return json.dumps(
        {"id": event_id, "object": "event", "type": event_type, "data": {"object": obj}}
    ).encode()


def post(client, body: bytes, signature=None):
    return client.generic(
        "POST",
        URL,
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature if signature is not None else sign(body),
    )


@pytest.fixture
def charged_gift(pending_gift_factory):
    """A gift whose SetupIntent the donor confirmed with a working card."""
    gift = pending_gift_factory()
    confirm_setup_in_browser(gift)
    return gift


def succeeded_intent_of(gift):
    """Charge at Stripe, then forget locally that the gift was paid.

    This is the state a webhook meets when the donor closed the tab before
    the page could report the payment.
    """
    gift_charge(gift, setup_intent_id=gift.stripe_setup_intent_id)
    gift.refresh_from_db()
    pi = gift.stripe_payment_intent_id
    Gift.objects.filter(pk=gift.pk).update(status=Gift.Status.PENDING, paid_at=None)
    gift.campaign.__class__.objects.filter(pk=gift.campaign_id).update(
        raised=0, gift_count=0, donor_count=0
    )
    return stripe_client().v1.payment_intents.retrieve(pi).to_dict()


@pytest.mark.django_db
def test_wrong_signature_is_refused_and_stores_nothing(client):
    body = event_body("evt_1", "payment_intent.succeeded", {"id": "pi_1"})

    response = post(client, body, signature=sign(body, secret="whsec_other"))

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


@pytest.mark.django_db
def test_stale_timestamp_is_refused(client):
    body = event_body("evt_1", "payment_intent.succeeded", {"id": "pi_1"})

    response = post(
        client, body, signature=sign(body, timestamp=int(time.time()) - 3600)
    )

    assert response.status_code == 400


@pytest.mark.django_db
def test_missing_signature_is_refused(client):
    body = event_body("evt_1", "payment_intent.succeeded", {"id": "pi_1"})

    assert post(client, body, signature="").status_code == 400


@pytest.mark.django_db
def test_truncated_body_is_refused(client):
    body = event_body("evt_1", "payment_intent.succeeded", {"id": "pi_1"})[:-7]

    response = post(client, body)

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


@pytest.mark.django_db
def test_signed_json_that_is_not_an_event_is_refused(client):
    for body in (b"[1, 2]", b'{"type": "x"}', b'{"id": 5, "data": {}}'):
        assert post(client, body).status_code == 400
    assert StripeEvent.objects.count() == 0


@pytest.mark.django_db
def test_unknown_event_type_is_acknowledged_and_ignored(client):
    body = event_body("evt_2", "customer.created", {"id": "cus_1"})

    response = post(client, body)

    assert response.status_code == 200
    assert (
        StripeEvent.objects.get(stripe_event_id="evt_2").status
        == StripeEvent.Status.IGNORED
    )


@pytest.mark.django_db
def test_event_for_an_unknown_intent_is_ignored(client, stripe_api):
    body = event_body(
        "evt_3", "payment_intent.succeeded", {"id": "pi_nobody", "metadata": {}}
    )

    response = post(client, body)

    assert response.status_code == 200
    assert (
        StripeEvent.objects.get(stripe_event_id="evt_3").status
        == StripeEvent.Status.IGNORED
    )


@pytest.mark.django_db
def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


@pytest.mark.django_db
def test_succeeded_event_pays_the_gift_once_even_when_replayed(client, charged_gift):
    intent = succeeded_intent_of(charged_gift)
    body = event_body("evt_paid", "payment_intent.succeeded", intent)

    first = post(client, body)
    second = post(client, body)

    charged_gift.refresh_from_db()
    charged_gift.campaign.refresh_from_db()
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["duplicate"] is True
    assert charged_gift.status == Gift.Status.PAID
    assert charged_gift.campaign.gift_count == 1
    assert (
        charged_gift.events.filter(
            kind="paid", data__source__startswith="webhook"
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_payment_failed_after_succeeded_changes_nothing(client, charged_gift):
    intent = succeeded_intent_of(charged_gift)
    post(client, event_body("evt_ok", "payment_intent.succeeded", intent))

    response = post(
        client, event_body("evt_ko", "payment_intent.payment_failed", intent)
    )

    charged_gift.refresh_from_db()
    assert response.status_code == 200
    assert charged_gift.status == Gift.Status.PAID
    assert charged_gift.events.filter(kind="failed").count() == 0


@pytest.mark.django_db
def test_stale_payload_is_overruled_by_stripe_current_state(client, charged_gift):
    intent = succeeded_intent_of(charged_gift)
    stale = {**intent, "status": "requires_payment_method"}

    post(client, event_body("evt_old", "payment_intent.payment_failed", stale))

    charged_gift.refresh_from_db()
    assert charged_gift.status == Gift.Status.PAID


@pytest.mark.django_db
def test_event_is_answered_503_and_kept_failed_when_stripe_cannot_be_asked(
    client, charged_gift, settings
):
    intent = succeeded_intent_of(charged_gift)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    from payments import gateway

    gateway.reset_client()
    body = event_body("evt_retry", "payment_intent.succeeded", intent)

    response = post(client, body)

    assert response.status_code == 503
    row = StripeEvent.objects.get(stripe_event_id="evt_retry")
    assert row.status == StripeEvent.Status.FAILED
    assert row.handler_error


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_deliveries_pay_one_gift_once(charged_gift):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    intent = succeeded_intent_of(charged_gift)
    body = event_body("evt_storm", "payment_intent.succeeded", intent)
    start = threading.Barrier(8)

    def deliver(_n):
        if _n < 8:
            start.wait()
        try:
            return post(Client(), body).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(deliver, range(20)))

    charged_gift.refresh_from_db()
    charged_gift.campaign.refresh_from_db()
    assert set(codes) == {200}, codes
    assert charged_gift.status == Gift.Status.PAID
    assert charged_gift.campaign.gift_count == 1
    assert (
        charged_gift.events.filter(
            kind="paid", data__source__startswith="webhook"
        ).count()
        == 1
    )
    assert StripeEvent.objects.filter(stripe_event_id="evt_storm").count() == 1


def test_webhook_url_is_stable():
    assert reverse("payments:webhook") == URL


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        event_body("evt_" + "x" * 300, "payment_intent.succeeded", {"id": "pi_1"}),
        event_body("evt_\x00nul", "payment_intent.succeeded", {"id": "pi_1"}),
        event_body("evt_ok", "payment_intent.succeeded", {"id": None}),
        event_body("evt_ok", "payment_intent.succeeded", "pi_1"),
        event_body("evt_ok", "payment_intent.succeeded", None),
        event_body("evt_ok", None, {"id": "pi_1"}),
        b'{"id": "evt_deep", "type": "x", "data": {"object": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}}",
    ],
    ids=[
        "long-id",
        "nul-in-id",
        "null-object-id",
        "object-is-text",
        "object-is-null",
        "no-type",
        "deep",
    ],
)
def test_malformed_signed_events_are_refused_and_store_nothing(client, body):
    response = post(client, body)

    assert response.status_code in (400, 413)
    assert StripeEvent.objects.count() == 0


@pytest.mark.django_db
def test_metadata_of_the_wrong_shape_does_not_break_the_handler(client, stripe_api):
    body = event_body(
        "evt_meta", "payment_intent.succeeded", {"id": "pi_x", "metadata": ["a"]}
    )

    assert post(client, body).status_code == 200


@pytest.mark.django_db
def test_event_for_an_intent_stripe_does_not_know_is_not_retried(
    client, stripe_api, make_gift
):
    gift = make_gift()
    obj = {"id": "pi_forged", "metadata": {"gift_id": str(gift.pk)}}

    response = post(client, event_body("evt_forged", "payment_intent.succeeded", obj))

    assert response.status_code == 200
    assert StripeEvent.objects.get().status == StripeEvent.Status.IGNORED


@pytest.mark.django_db
def test_signature_dated_in_the_future_is_refused(client):
    body = event_body("evt_future", "payment_intent.succeeded", {"id": "pi_1"})

    response = post(
        client, body, signature=sign(body, timestamp=int(time.time()) + 3600)
    )

    assert response.status_code == 400
