"""The donate form's message and dedication: bad input is refused with a
clear message and nothing stored; good input is stored with the gift."""

import pytest
from django.urls import reverse

from campaigns.tests.test_donate_form import post_donation
from conftest import DONATE_FORM
from payments.models import Gift
from wall.models import Dedication, WallMessage

pytestmark = pytest.mark.django_db

CARD = {
    "dedication_kind": "honour",
    "dedication_name": "Marie-José Pérec",
    "card_recipient_name": "Marie-José",
    "card_recipient_email": "mjp@example.net",
    "card_message": "Pour tes 58 ans.",
}


def error_text(response, field) -> str:
    return " ".join(e["message"] for e in response.json()["errors"][field])


def assert_nothing_stored():
    assert Gift.objects.count() == 0
    assert WallMessage.objects.count() == 0
    assert Dedication.objects.count() == 0


def test_a_wall_message_over_the_limit_is_refused(client, campaign):
    response = post_donation(client, campaign, wall_message="a" * 281)

    assert response.status_code == 400
    assert "at most 280 characters" in error_text(response, "wall_message")
    assert_nothing_stored()


@pytest.mark.parametrize(
    "text",
    ["Voir https://spam.example", "www.spam.example", '<a href="x">ici</a>'],
)
def test_a_wall_message_with_a_link_is_refused(client, campaign, text):
    response = post_donation(client, campaign, wall_message=text)

    assert response.status_code == 400
    assert "Links are not allowed" in error_text(response, "wall_message")
    assert_nothing_stored()


def test_a_dedication_without_a_name_is_refused(client, campaign):
    response = post_donation(client, campaign, dedication_kind="memory")

    assert response.status_code == 400
    assert "Give the name" in error_text(response, "dedication_name")
    assert_nothing_stored()


def test_a_name_without_a_dedication_kind_is_refused(client, campaign):
    response = post_donation(client, campaign, dedication_name="Alain Mimoun")

    assert response.status_code == 400
    assert "in honour of" in error_text(response, "dedication_kind")
    assert_nothing_stored()


def test_an_unknown_dedication_kind_is_refused(client, campaign):
    response = post_donation(
        client, campaign, dedication_kind="birthday", dedication_name="Alain"
    )

    assert response.status_code == 400
    assert "valid choice" in error_text(response, "dedication_kind")
    assert_nothing_stored()


@pytest.mark.parametrize(
    "email", ["mjp@@example.net", "mjp", "mjp@example.net\nBcc: x@example.org"]
)
def test_a_bad_card_email_is_refused(client, campaign, email):
    response = post_donation(
        client, campaign, **{**CARD, "card_recipient_email": email}
    )

    assert response.status_code == 400
    assert "valid email" in error_text(response, "card_recipient_email")
    assert_nothing_stored()


def test_a_card_without_an_email_is_refused(client, campaign):
    response = post_donation(client, campaign, **{**CARD, "card_recipient_email": ""})

    assert response.status_code == 400
    assert "Give the email" in error_text(response, "card_recipient_email")
    assert_nothing_stored()


def test_a_card_without_a_dedication_is_refused(client, campaign):
    response = post_donation(
        client,
        campaign,
        card_recipient_email="mjp@example.net",
        card_message="Bravo",
    )

    assert response.status_code == 400
    assert "A card goes with a dedication" in error_text(response, "dedication_kind")
    assert_nothing_stored()


def test_a_card_message_over_the_limit_is_refused(client, campaign):
    response = post_donation(client, campaign, **{**CARD, "card_message": "b" * 501})

    assert response.status_code == 400
    assert "at most 500 characters" in error_text(response, "card_message")
    assert_nothing_stored()


def test_a_card_message_with_a_link_is_refused(client, campaign):
    response = post_donation(
        client, campaign, **{**CARD, "card_message": "Win at www.casino.example"}
    )

    assert response.status_code == 400
    assert "Links are not allowed" in error_text(response, "card_message")
    assert_nothing_stored()


def test_errors_are_in_french_for_a_french_page(client, campaign):
    response = client.post(
        reverse("campaigns:donate", args=[campaign.slug]),
        {**DONATE_FORM, "dedication_kind": "honour", "wall_message": "www.x.fr"},
        HTTP_ACCEPT="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert response.status_code == 400
    assert "Les liens ne sont pas permis" in error_text(response, "wall_message")
    assert "Indiquez le nom" in error_text(response, "dedication_name")


def test_message_and_dedication_are_stored_pending_with_the_gift(
    client, campaign, stripe_api
):
    response = post_donation(
        client, campaign, wall_message="  Bravo\n à  tous !  ", **CARD
    )

    assert response.status_code == 200
    gift = Gift.objects.get()
    assert gift.status == Gift.Status.PENDING
    assert gift.wall_message.text == "Bravo à tous !"
    assert gift.wall_message.status == WallMessage.Status.PENDING
    dedication = gift.dedication
    assert (dedication.kind, dedication.honoree_name) == ("honour", "Marie-José Pérec")
    assert dedication.recipient_email == "mjp@example.net"
    assert dedication.card_message == "Pour tes 58 ans."
    assert dedication.card_sent_at is None


def test_a_gift_without_message_or_dedication_stores_neither(
    client, campaign, stripe_api
):
    response = post_donation(client, campaign)

    assert response.status_code == 200
    assert Gift.objects.count() == 1
    assert WallMessage.objects.count() == 0
    assert Dedication.objects.count() == 0


def test_the_donate_page_shows_the_fields_in_their_own_fieldset(client, campaign):
    page = client.get(
        reverse("campaigns:donate", args=[campaign.slug]), HTTP_ACCEPT_LANGUAGE="en"
    ).text

    fieldset = page.split('<fieldset class="wall-fields">')[1].split("</fieldset>")[0]
    for name in ("wall_message", "dedication_kind", "card_recipient_email"):
        assert f'<label for="id_{name}">' in fieldset
        assert f'id="{name}-error"' in fieldset
