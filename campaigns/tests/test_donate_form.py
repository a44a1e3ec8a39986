"""The donate endpoint refuses bad input with a clear message and no gift."""

from decimal import Decimal

import pytest
from django.urls import reverse

from campaigns.tax import cost_after_relief
from conftest import DONATE_FORM
from payments.models import Gift

VALID = DONATE_FORM


def post_donation(client, campaign, **changes):
    data = {**VALID, **changes}
    data = {key: value for key, value in data.items() if value is not None}
    return client.post(
        reverse("campaigns:donate", args=[campaign.slug]),
        data,
        HTTP_ACCEPT="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "minimum gift is €1."),
        ("-5", "minimum gift is €1."),
        ("0.10", "minimum gift is €1."),
        ("abc", "Enter a number"),
        ("1e9", "Enter a number"),
        ("1000000", "limited to €100,000"),
        ("٥٠", "Enter a number"),
        ("５０", "Enter a number"),
        ("5_0", "Enter a number"),
        ("10.005", "decimal places"),
        ("", "required"),
        ("NaN", "Enter a number"),
    ],
)
def test_bad_amount_is_refused_with_a_message_and_no_gift(
    client, campaign, amount, message
):
    response = post_donation(client, campaign, amount=amount)

    assert response.status_code == 400
    errors = response.json()["errors"]["amount"]
    assert message in " ".join(error["message"] for error in errors)
    assert Gift.objects.count() == 0


@pytest.mark.parametrize("field", ["address_line", "postal_code", "city", "last_name"])
def test_missing_receipt_detail_is_refused(client, campaign, field):
    response = post_donation(client, campaign, **{field: ""})

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Gift.objects.count() == 0


def test_bad_email_is_refused(client, campaign):
    response = post_donation(client, campaign, email="anne@@example")

    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_company_needs_a_siren_with_a_valid_check_digit(client, campaign):
    response = post_donation(
        client,
        campaign,
        kind="company",
        company_name="Atelier Numérique",
        legal_form="SAS",
        siren="123456788",
    )

    assert response.status_code == 400
    assert "check digit" in response.json()["errors"]["siren"][0]["message"]


def test_unknown_donor_type_is_refused_not_defaulted(client, campaign):
    response = post_donation(client, campaign, kind="association")

    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


def test_without_javascript_the_form_comes_back_with_errors(client, campaign):
    response = client.post(
        reverse("campaigns:donate", args=[campaign.slug]), {**VALID, "amount": "0"}
    )

    assert response.status_code == 400
    assert b"has-error" in response.content


def test_closed_campaign_takes_no_gift(client, campaign):
    campaign.status = campaign.Status.CLOSED
    campaign.save()

    response = post_donation(client, campaign)

    assert response.status_code == 410
    assert Gift.objects.count() == 0


def test_draft_campaign_is_not_public(client, campaign):
    campaign.status = campaign.Status.DRAFT
    campaign.save()

    assert client.get(campaign.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    ("amount", "kind", "cost"),
    [("50", "individual", "17.00"), ("50", "company", "20.00"), ("3000", "individual", "1020.00"),
     ("1.01", "individual", "0.34")],
)  # fmt: skip
def test_cost_after_relief_uses_66_and_60_percent(amount, kind, cost):
    assert cost_after_relief(Decimal(amount), kind) == Decimal(cost)


def test_donate_page_shows_suggested_amounts_and_tax_rates(client, campaign):
    campaign.suggested_amounts.create(
        amount=Decimal("150"), impact_en="a trip to a competition"
    )

    response = client.get(
        reverse("campaigns:donate", args=[campaign.slug]), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert b"a trip to a competition" in response.content
    assert b'data-tax-individual="0.66"' in response.content


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("50,5", "50.50"),
        ("1 000", "1000.00"),
        ("75.25", "75.25"),
        ("1,000", "1000.00"),
        ("1,000.50", "1000.50"),
    ],
)
def test_amount_may_be_typed_the_french_way(
    typed, amount, client, campaign, stripe_api
):
    response = post_donation(client, campaign, amount=typed)

    assert response.status_code == 200
    assert Gift.objects.get().amount.amount == Decimal(amount)


@pytest.mark.parametrize(
    ("answers", "mode"),
    [
        ({"taxed_in_france": "yes", "receipt_preference": "per_gift"}, "per_gift"),
        ({"taxed_in_france": "yes", "receipt_preference": "annual"}, "annual"),
        ({"taxed_in_france": "no", "receipt_preference": "per_gift"}, "none"),
    ],
)
def test_tax_residence_and_preference_decide_how_the_gift_is_receipted(
    answers, mode, client, campaign, stripe_api
):
    response = post_donation(client, campaign, **answers)

    assert response.status_code == 200
    gift = Gift.objects.get()
    assert gift.receipt_mode == mode
    assert gift.donor.taxed_in_france is (answers["taxed_in_france"] == "yes")


def test_finance_may_receipt_donors_taxed_abroad(
    client, campaign, stripe_api, settings
):
    settings.RECEIPTS_FOR_NON_RESIDENTS = True

    post_donation(client, campaign, taxed_in_france="no")

    assert Gift.objects.get().receipt_mode == "per_gift"


def test_tax_residence_must_be_answered(client, campaign):
    response = post_donation(client, campaign, taxed_in_france=None)

    assert response.status_code == 400
    assert "taxed_in_france" in response.json()["errors"]


def test_french_postal_code_has_five_digits(client, campaign):
    response = post_donation(client, campaign, postal_code="EEEE")

    assert response.status_code == 400
    assert "five digits" in response.json()["errors"]["postal_code"][0]["message"]


def test_foreign_postal_codes_are_free_form(client, campaign, stripe_api):
    response = post_donation(client, campaign, country="PL", postal_code="00-001")

    assert response.status_code == 200


def test_a_name_too_long_gets_one_error_not_two(client, campaign):
    response = post_donation(client, campaign, last_name="x" * 121)

    assert len(response.json()["errors"]["last_name"]) == 1


def test_embeddable_widget_shows_progress_and_may_be_framed(client, campaign):
    response = client.get(
        f"/campaigns/{campaign.slug}/embed/", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert b'data-testid="raised"' in response.content
    assert b'target="_blank"' in response.content


def test_other_pages_refuse_to_be_framed(client, campaign):
    response = client.get(campaign.get_absolute_url())

    assert response["X-Frame-Options"] == "DENY"


def test_admin_gives_the_code_to_embed_the_widget(client, campaign):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("boss", password="x"))

    response = client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/")

    assert f"/campaigns/{campaign.slug}/embed/".encode() in response.content
