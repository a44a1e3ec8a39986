"""Charging a gift through the offline Stripe, as the donate page does."""

from decimal import Decimal

import pytest
from django.urls import reverse
from djmoney.money import Money

from conftest import DONATE_FORM, confirm_setup_in_browser, stripe_client
from payments import gateway
from payments.models import Gift
from payments.services import gift_charge

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_gift(pending_gift_factory):
    return pending_gift_factory()


def test_successful_card_pays_the_gift_and_moves_the_campaign_total(
    pending_gift, campaign, django_capture_on_commit_callbacks
):
    confirm_setup_in_browser(pending_gift)

    with django_capture_on_commit_callbacks() as callbacks:
        outcome = gift_charge(
            pending_gift, setup_intent_id=pending_gift.stripe_setup_intent_id
        )

    pending_gift.refresh_from_db()
    campaign.refresh_from_db()
    assert outcome.status == "paid"
    assert pending_gift.status == Gift.Status.PAID
    assert pending_gift.paid_at is not None
    assert pending_gift.stripe_payment_intent_id.startswith("pi_")
    assert campaign.raised == Money(Decimal("50.00"), "EUR")
    assert (campaign.gift_count, campaign.donor_count) == (1, 1)
    assert len(callbacks) == 1  # the receipt task, queued after commit
    intent = stripe_client().v1.payment_intents.retrieve(
        pending_gift.stripe_payment_intent_id
    )
    assert (intent.amount, intent.currency) == (5000, "eur")
    assert intent.metadata["gift_id"] == str(pending_gift.pk)


def test_charging_twice_creates_one_payment_intent(pending_gift, campaign):
    confirm_setup_in_browser(pending_gift)

    first = gift_charge(
        pending_gift, setup_intent_id=pending_gift.stripe_setup_intent_id
    )
    second = gift_charge(
        pending_gift, setup_intent_id=pending_gift.stripe_setup_intent_id
    )

    campaign.refresh_from_db()
    assert (first.status, second.status) == ("paid", "paid")
    assert campaign.gift_count == 1
    assert len(stripe_client().v1.payment_intents.list().data) == 1


def test_card_declined_on_charge_leaves_the_gift_failed_and_totals_alone(
    pending_gift, campaign
):
    confirm_setup_in_browser(pending_gift, card="4000000000000341")

    outcome = gift_charge(
        pending_gift, setup_intent_id=pending_gift.stripe_setup_intent_id
    )

    pending_gift.refresh_from_db()
    campaign.refresh_from_db()
    assert outcome.status == "declined"
    assert pending_gift.status == Gift.Status.FAILED
    assert pending_gift.failure_code
    assert campaign.raised.amount == 0


def test_three_d_secure_card_asks_the_browser_to_authenticate(pending_gift):
    setup = confirm_setup_in_browser(pending_gift, card="4000002500003155")
    if setup.status == "requires_action":
        # What the fake Stripe.js does when the donor completes the modal.
        stripe_client().v1.setup_intents.confirm(setup.id, params={})

    outcome = gift_charge(
        pending_gift, setup_intent_id=pending_gift.stripe_setup_intent_id
    )

    pending_gift.refresh_from_db()
    assert outcome.status == "requires_action"
    assert outcome.client_secret
    assert pending_gift.status == Gift.Status.PENDING


def test_setup_intent_of_another_gift_is_refused(pending_gift, make_gift):
    from payments.services import GiftStateError

    other = make_gift(stripe_setup_intent_id="seti_other")

    with pytest.raises(GiftStateError):
        gift_charge(other, setup_intent_id=pending_gift.stripe_setup_intent_id)


def test_donate_view_answers_503_when_stripe_is_down_and_charges_nothing(
    client, campaign, stripe_down
):
    response = client.post(
        reverse("campaigns:donate", args=[campaign.slug]),
        DONATE_FORM,
        HTTP_ACCEPT="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 503
    assert "try again" in response.json()["error"]
    assert not Gift.objects.filter(status=Gift.Status.PAID).exists()


def test_pay_endpoint_refuses_malformed_body(client, pending_gift):
    response = client.post(
        reverse("campaigns:gift_pay", args=[pending_gift.token]),
        b"not json",
        content_type="application/json",
    )

    assert response.status_code == 400


def test_unreachable_stripe_is_reported_as_unavailable(stripe_down):
    with pytest.raises(gateway.GatewayUnavailable):
        gateway.payment_intent_retrieve("pi_missing")


def test_an_unpaid_gift_does_not_rewrite_a_known_donor(
    client, campaign, make_donor, stripe_api
):
    donor = make_donor(first_name="Marie", last_name="Lefèvre", postal_code="75005")

    client.post(
        reverse("campaigns:donate", args=[campaign.slug]),
        {
            **DONATE_FORM,
            "email": donor.email.upper(),
            "first_name": "Mallory",
            "last_name": "Pirate",
        },
        HTTP_ACCEPT="application/json",
    )

    donor.refresh_from_db()
    assert (donor.first_name, donor.last_name) == ("Marie", "Lefèvre")
    assert Gift.objects.get(donor=donor).donor_details["last_name"] == "Pirate"


def test_paying_a_gift_brings_the_donor_up_to_date(pending_gift_factory, make_donor):
    donor = make_donor(address_line="1 ancienne rue")
    gift = pending_gift_factory()  # same email, typed the new address
    assert gift.donor_id == donor.pk
    confirm_setup_in_browser(gift)

    gift_charge(gift, setup_intent_id=gift.stripe_setup_intent_id)

    donor.refresh_from_db()
    assert donor.address_line == "12 rue des Écoles"
