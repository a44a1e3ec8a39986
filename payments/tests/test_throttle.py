"""Card-testing defence: limits on payment set-ups and a lock on declines."""

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from campaigns.tests.test_donate_form import post_donation
from payments import throttle
from payments.models import Gift

pytestmark = pytest.mark.django_db


def test_more_setups_than_allowed_from_one_email_are_refused(
    client, campaign, stripe_api, settings
):
    settings.THROTTLE_SETUPS_PER_EMAIL = 3

    codes = [post_donation(client, campaign).status_code for _attempt in range(5)]

    assert codes == [200, 200, 200, 429, 429]
    assert Gift.objects.count() == 3


def test_more_setups_than_allowed_from_one_address_are_refused(
    client, campaign, stripe_api, settings
):
    settings.THROTTLE_SETUPS_PER_IP = 2

    codes = [
        post_donation(client, campaign, email=f"donor{n}@example.org").status_code
        for n in range(3)
    ]

    assert codes == [200, 200, 429]


def test_a_spike_of_declines_locks_the_form_and_tells_staff(
    client, campaign, stripe_api, settings
):
    settings.THROTTLE_DECLINES_TO_LOCK = 3
    settings.ADMINS = [("Finance", "finance@example.org")]

    for _decline in range(3):
        throttle.record_decline()
    response = post_donation(client, campaign)

    assert response.status_code == 429
    assert "Too many payment attempts" in response.json()["error"]
    assert len(mail.outbox) == 1
    assert "locked" in mail.outbox[0].subject
    throttle.unlock()
    assert post_donation(client, campaign).status_code == 200


def test_declined_card_counts_towards_the_lock(pending_gift_factory, settings):
    from conftest import confirm_setup_in_browser
    from payments.services import gift_charge

    settings.THROTTLE_DECLINES_TO_LOCK = 1
    gift = pending_gift_factory()
    confirm_setup_in_browser(gift, card="4000000000000341")

    gift_charge(gift, setup_intent_id=gift.stripe_setup_intent_id)

    assert throttle.donate_locked()


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.1", "10.0.0.1"),
        (1, "6.6.6.6, 203.0.113.9", "10.0.0.1", "203.0.113.9"),
        (1, "", "10.0.0.1", "10.0.0.1"),
        (2, "spoofed, 203.0.113.9, 10.0.0.2", "10.0.0.1", "203.0.113.9"),
    ],
)
def test_client_address_trusts_only_our_own_proxies(
    settings, proxies, forwarded, remote, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote
    )

    assert throttle.client_ip(request) == expected


def test_donate_page_is_unaffected_by_limits(client, campaign):
    assert (
        client.get(reverse("campaigns:donate", args=[campaign.slug])).status_code == 200
    )
