"""Preferences in the donor space: newsletter, email language, receipts."""

import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from conftest import DONOR_DETAILS
from donors.address_check import address_check_request
from donors.models import ConsentRecord, Donor, PreferenceChange
from donors.services import consent_email_hash, consent_given
from donorspace.tests.test_space import sign_in

pytestmark = pytest.mark.django_db

URL = reverse("donorspace:preferences")
ENGLISH_WORDING = "Send me the foundation's newsletter by email."
FRENCH_WORDING = "Envoyez-moi la lettre d'information de la fondation par e-mail."


def client_in(language: str) -> Client:
    return Client(headers={"accept-language": language})


@pytest.fixture
def anne(make_donor):
    return make_donor(email="anne.martin@example.org", language="fr")


def save(client, *, newsletter: bool, language="fr", receipts="per_gift"):
    data = {"language": language, "receipt_preference": receipts}
    if newsletter:
        data["newsletter"] = "on"
    return client.post(URL, data)


def test_the_page_shows_the_current_choices_with_the_box_unticked(anne):
    client = sign_in(client_in("en"), anne)

    response = client.get(URL)

    assert response.status_code == 200
    form = response.context["form"]
    assert form["newsletter"].value() is False
    assert form["language"].value() == "fr"
    assert form["receipt_preference"].value() == "per_gift"
    assert "the foundation&#x27;s newsletter by email." in response.text


def test_subscribing_records_the_words_shown_and_their_language(anne):
    # given Anne on the English page
    client = sign_in(client_in("en"), anne)

    # when she ticks the newsletter box and saves
    response = save(client, newsletter=True)

    # then her consent is recorded with the English words, from the space
    assert response.status_code == 302
    record = ConsentRecord.objects.get()
    assert (record.donor, record.topic, record.given) == (anne, "newsletter", True)
    assert record.wording == ENGLISH_WORDING
    assert record.language == "en"
    assert record.source == "donor_space"
    assert record.gift is None


def test_withdrawing_appends_a_row_and_the_latest_row_wins(anne):
    # given Anne subscribed on the French page
    client = sign_in(client_in("fr"), anne)
    save(client, newsletter=True)

    # when she unticks the box and saves, then saves again unchanged
    save(client, newsletter=False)
    save(client, newsletter=False)

    # then the history has her yes and her no, in order, and she is out
    history = list(ConsentRecord.objects.order_by("at", "pk"))
    assert [record.given for record in history] == [True, False]
    assert history[1].wording == FRENCH_WORDING
    assert history[1].language == "fr"
    assert not consent_given(anne, "newsletter")
    assert client.get(URL).context["form"]["newsletter"].value() is False


def test_language_and_receipt_changes_are_saved_and_recorded(anne):
    client = sign_in(client_in("en"), anne)

    save(client, newsletter=False, language="en", receipts="annual")

    anne.refresh_from_db()
    assert (anne.language, anne.receipt_preference) == ("en", "annual")
    assert anne.language_chosen_at is not None
    changes = {
        (change.field, change.old_value, change.new_value)
        for change in PreferenceChange.objects.filter(donor=anne)
    }
    assert changes == {
        ("language", "fr", "en"),
        ("receipt_preference", "per_gift", "annual"),
    }
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"language": "de", "receipt_preference": "per_gift"},
        {"language": "fr", "receipt_preference": "monthly"},
        {"receipt_preference": "per_gift"},
    ],
    ids=["unknown-language", "unknown-receipt-mode", "missing-language"],
)
def test_bad_choices_are_refused_and_change_nothing(anne, data):
    client = sign_in(client_in("en"), anne)

    response = client.post(URL, {**data, "newsletter": "on"})

    assert response.status_code == 400
    assert response.context["form"].errors
    anne.refresh_from_db()
    assert (anne.language, anne.receipt_preference) == ("fr", "per_gift")
    assert not ConsentRecord.objects.exists()
    assert not PreferenceChange.objects.exists()


def test_signed_out_visitors_cannot_change_preferences(anne):
    response = client_in("en").post(
        URL, {"language": "en", "receipt_preference": "annual", "newsletter": "on"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("donorspace:request")
    assert not ConsentRecord.objects.exists()
    anne.refresh_from_db()
    assert anne.language == "fr"


def test_emails_follow_the_language_chosen_even_after_a_gift_on_a_french_page(
    anne, paid_gift
):
    # given Anne chose English emails in her space
    save(sign_in(client_in("fr"), anne), newsletter=False, language="en")

    # when she then gives on the French page (its language goes with the gift)
    details = {k: v for k, v in DONOR_DETAILS.items() if k != "email"}
    paid_gift(donor=anne, donor_details={**details, "language": "fr"})

    # then she keeps English, and her next email is in English
    anne.refresh_from_db()
    assert anne.language == "en"
    mail.outbox.clear()
    address_check_request(anne.pk, 2026)
    assert mail.outbox[0].subject == (
        "Is your address right for your 2026 tax receipt?"
    )


def test_a_donor_who_never_chose_follows_the_page_of_their_latest_gift(anne, paid_gift):
    details = {k: v for k, v in DONOR_DETAILS.items() if k != "email"}

    paid_gift(donor=anne, donor_details={**details, "language": "en"})

    assert Donor.objects.get(pk=anne.pk).language == "en"


def test_the_export_holds_the_consent_history_and_preference_changes(anne):
    # given Anne subscribed, then withdrew and switched to English
    client = sign_in(client_in("en"), anne)
    save(client, newsletter=True)
    save(client, newsletter=False, language="en")

    # when she downloads her data
    data = json.loads(client.get(reverse("donorspace:export")).content)

    # then both answers are there with their words, time and source
    assert [
        (c["given"], c["wording"], c["language"], c["source"]) for c in data["consents"]
    ] == [
        (False, ENGLISH_WORDING, "en", "donor_space"),
        (True, ENGLISH_WORDING, "en", "donor_space"),
    ]
    assert all(c["at"] for c in data["consents"])
    assert data["preference_changes"][0]["preference"] == "language"
    assert data["preference_changes"][0]["to"] == "en"


def test_an_erasure_request_withdraws_the_newsletter_and_keeps_the_proof(anne):
    # given Anne subscribed
    client = sign_in(client_in("en"), anne)
    save(client, newsletter=True)

    # when she asks for her data to be erased
    client.post(reverse("donorspace:erasure"))

    # then she is out of the newsletter, and the yes stays as proof
    assert not consent_given(anne, "newsletter")
    assert [r.source for r in ConsentRecord.objects.order_by("at", "pk")] == [
        "donor_space",
        "erasure",
    ]


def test_consent_proof_outlives_the_donor_row_as_a_pseudonymous_record(anne):
    # given a consent of Anne's
    save(sign_in(client_in("en"), anne), newsletter=True)

    # when finance deletes the donor row (no gifts hold it)
    Donor.objects.filter(pk=anne.pk).delete()

    # then the record stays, without the donor, matchable by the address hash
    record = ConsentRecord.objects.get()
    assert record.donor is None
    assert record.email_hash == consent_email_hash("Anne.Martin@example.org ")
    assert record.wording == ENGLISH_WORDING
