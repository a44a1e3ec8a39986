"""Monthly and SEPA gifts started from the donate page, and its refusals."""

import pytest
from django.urls import reverse

from conftest import DONATE_FORM, stripe_client
from payments.models import Gift, RecurringGift
from payments.tests.conftest import GOOD_IBAN

pytestmark = pytest.mark.django_db


# --- The donate page -----------------------------------------------------------------


def monthly_form(**overrides):
    return {**DONATE_FORM, "frequency": "monthly", "method": "card", **overrides}


def test_donate_page_starts_a_monthly_sepa_gift_with_its_mandate(
    client, campaign, stripe_api
):
    response = client.post(
        reverse("campaigns:donate", args=[campaign.slug]),
        monthly_form(
            method="sepa",
            iban="fr14 2004 1010 0505 0001 3M02 606",
            mandate_accepted="on",
        ),  # fmt: skip
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["method"] == "sepa"
    gift = Gift.objects.get()
    assert gift.recurring.status == RecurringGift.Status.PENDING
    assert gift.mandate.iban_last4 == "2606"
    assert gift.mandate.iban_country == "FR"
    assert "débiter votre compte" in gift.mandate.text
    assert gift.mandate.accepted_at is not None
    setup = stripe_client().v1.setup_intents.retrieve(gift.stripe_setup_intent_id)
    assert "sepa_debit" in setup.to_dict()["payment_method_types"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {
                "method": "sepa",
                "iban": "FR1420041010050500013M02607",
                "mandate_accepted": "on",
            },
            "iban",
        ),  # fmt: skip
        ({"method": "sepa", "iban": "", "mandate_accepted": "on"}, "iban"),
        ({"method": "sepa", "iban": GOOD_IBAN}, "mandate_accepted"),
        (
            {
                "method": "sepa",
                "iban": "US12345678901234567890",
                "mandate_accepted": "on",
            },
            "iban",
        ),  # fmt: skip
        ({"amount": "3"}, "amount"),
        ({"frequency": "weekly"}, "frequency"),
        ({"method": "cash"}, "method"),
    ],
)
def test_donate_page_refuses_bad_monthly_input_and_creates_nothing(
    client, campaign, overrides, field
):
    response = client.post(
        reverse("campaigns:donate", args=[campaign.slug]),
        monthly_form(**overrides),
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Gift.objects.exists()
    assert not RecurringGift.objects.exists()


def test_a_three_euro_one_off_gift_is_still_fine(client, campaign, stripe_api):
    response = client.post(
        reverse("campaigns:donate", args=[campaign.slug]),
        {**DONATE_FORM, "amount": "3"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert Gift.objects.get().recurring is None
