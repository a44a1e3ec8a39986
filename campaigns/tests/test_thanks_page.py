"""The thank-you page promises what will happen to this gift's receipt."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("mode", "details", "says", "never"),
    [
        ("per_gift", {"taxed_in_france": True}, "a few minutes", "annual"),
        ("annual", {"taxed_in_france": True}, "January", "a few minutes"),
        ("none", {"taxed_in_france": False}, "no French tax receipt", "costs you"),
    ],
)
def test_the_page_follows_the_gift(client, paid_gift, mode, details, says, never):
    gift = paid_gift(receipt_mode=mode, donor_details=details)
    page = client.get(
        reverse("campaigns:gift_thanks", args=[gift.token]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert says in page
    assert never not in page
