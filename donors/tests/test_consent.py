"""Newsletter consent from the donate form: recorded with its words, once paid."""

import pytest
from django.db import transaction
from django.urls import reverse

from conftest import DONATE_FORM, confirm_setup_in_browser
from donors.models import ConsentRecord
from donors.services import (
    consent_email_hash,
    consent_given,
    consent_record_from_gift,
)
from payments.gateway import payment_intent_retrieve
from payments.models import Gift
from payments.services import gift_charge, gift_mark_paid

pytestmark = pytest.mark.django_db

ENGLISH_WORDING = (
    "I would like to receive the foundation's newsletter by email. "
    "I can unsubscribe at any time from my donor space."
)


def give(client, campaign, language="en", **changes) -> Gift:
    response = client.post(
        reverse("campaigns:donate", args=[campaign.slug]),
        {**DONATE_FORM, **changes},
        HTTP_ACCEPT="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200, response.content
    return Gift.objects.get(token=response.json()["gift"])


def pay(gift: Gift) -> Gift:
    confirm_setup_in_browser(gift)
    gift_charge(gift, setup_intent_id=gift.stripe_setup_intent_id)
    gift.refresh_from_db()
    assert gift.status == Gift.Status.PAID
    return gift


def test_the_newsletter_box_is_unticked_by_default(client, campaign):
    response = client.get(reverse("campaigns:donate", args=[campaign.slug]))

    box = response.context["form"]["newsletter"]
    assert box.value() in (None, False)
    assert 'name="newsletter"' in response.text
    assert 'name="newsletter" checked' not in response.text


def test_a_ticked_box_is_recorded_with_its_words_once_the_gift_is_paid(
    client, campaign, stripe_api
):
    # given a gift made on the English page with the box ticked
    gift = give(client, campaign, newsletter="on")

    # then nothing is recorded while it is unpaid
    assert not ConsentRecord.objects.exists()

    # when it is paid
    pay(gift)

    # then the consent is recorded with the words shown, their language,
    # the time, the gift, and a keyed hash of the address
    record = ConsentRecord.objects.get()
    assert record.donor == gift.donor
    assert record.topic == "newsletter"
    assert record.given is True
    assert record.wording == ENGLISH_WORDING
    assert record.language == "en"
    assert record.source == "donate_form"
    assert record.gift == gift
    assert record.at >= gift.created_at
    assert record.email_hash == consent_email_hash(gift.donor.email)
    assert gift.donor.email not in record.email_hash
    assert consent_given(gift.donor, "newsletter")


def test_the_french_page_records_the_french_words(client, campaign, stripe_api):
    gift = pay(give(client, campaign, language="fr", newsletter="on"))

    record = ConsentRecord.objects.get(gift=gift)
    assert record.language == "fr"
    assert record.wording.startswith("Je souhaite recevoir la lettre")


def test_an_unpaid_gift_records_no_consent(client, campaign, stripe_api):
    # given a ticked box on a form whose payment never happened (or failed)
    gift = give(client, campaign, newsletter="on")
    Gift.objects.filter(pk=gift.pk).update(status=Gift.Status.FAILED)

    # then the donor has given no consent
    assert not ConsentRecord.objects.exists()
    assert not consent_given(gift.donor, "newsletter")


def test_an_unticked_box_records_nothing_and_keeps_an_earlier_yes(
    client, campaign, stripe_api
):
    # given a donor who said yes with a first gift
    pay(give(client, campaign, newsletter="on"))

    # when they give again without ticking the box
    second = pay(give(client, campaign))

    # then no row is added, and the yes stands
    assert ConsentRecord.objects.count() == 1
    assert consent_given(second.donor, "newsletter")


def test_payment_reported_twice_records_the_consent_once(client, campaign, stripe_api):
    # given a paid gift whose form had the box ticked
    gift = pay(give(client, campaign, newsletter="on"))
    intent = payment_intent_retrieve(gift.stripe_payment_intent_id)

    # when payment is reported again (the webhook after the page), and the
    # consent step runs again
    with transaction.atomic():
        locked = Gift.objects.select_for_update().get(pk=gift.pk)
        assert gift_mark_paid(locked, intent, source="webhook") is False
    consent_record_from_gift(gift)

    # then there is still one record
    assert ConsentRecord.objects.filter(gift=gift).count() == 1


def test_consent_records_cannot_be_edited(client, campaign, stripe_api):
    gift = pay(give(client, campaign, newsletter="on"))
    record = ConsentRecord.objects.get(gift=gift)

    record.given = False
    with pytest.raises(ValueError, match="never changed"):
        record.save()
    assert ConsentRecord.objects.get(pk=record.pk).given is True
