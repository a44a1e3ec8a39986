"""The donate form takes the offered currencies, each within its own limits."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import checks
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from campaigns.tests.test_donate_form import post_donation
from fx.models import FxRate
from payments.currency import gift_limits
from payments.models import Gift

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(db):
    for code, per_eur in (("CZK", "25.1"), ("PLN", "4.2"), ("DKK", "7.46")):
        FxRate.objects.create(
            currency=code,
            day=timezone.localdate() - timedelta(days=1),
            per_eur=Decimal(per_eur),
            source="test",
        )


def errors_of(response, field):
    return " ".join(error["message"] for error in response.json()["errors"][field])


def test_currency_not_offered_is_refused_naming_those_offered(client, campaign, rates):
    response = post_donation(client, campaign, currency="XYZ")

    assert response.status_code == 400
    assert errors_of(response, "currency") == (
        "Gifts are made in EUR, CZK, PLN, DKK only."
    )
    assert Gift.objects.count() == 0


@pytest.mark.parametrize(
    ("currency", "amount", "shown"),
    [
        ("EUR", "0.99", "€1"),
        ("CZK", "24.99", "CZK25"),
        ("PLN", "4.99", "PLN5"),
        ("DKK", "9.99", "DKK10"),
    ],
)
def test_amount_under_the_currencys_minimum_is_refused(
    client, campaign, rates, currency, amount, shown
):
    response = post_donation(client, campaign, amount=amount, currency=currency)

    assert response.status_code == 400
    assert errors_of(response, "amount") == f"The minimum gift is {shown}."
    assert Gift.objects.count() == 0


def test_amount_over_the_currencys_maximum_is_refused(client, campaign, rates):
    response = post_donation(client, campaign, amount="400000.01", currency="PLN")

    assert response.status_code == 400
    assert "limited to PLN400,000" in errors_of(response, "amount")
    assert Gift.objects.count() == 0


def test_start_up_check_refuses_a_maximum_stripe_cannot_charge(settings):
    settings.GIFT_CURRENCY_LIMITS = {
        **settings.GIFT_CURRENCY_LIMITS,
        "CZK": (Decimal("25.00"), Decimal("1000000.00")),
    }

    messages = [e.msg for e in checks.run_checks() if e.id == "payments.E001"]

    assert messages == [
        "GIFT_CURRENCIES: CZK has a maximum above Stripe's largest charge"
    ]


def test_stripe_minimum_wins_over_a_lower_foundation_minimum(settings):
    settings.GIFT_CURRENCY_LIMITS = {
        **settings.GIFT_CURRENCY_LIMITS,
        "CZK": (Decimal("1.00"), Decimal("1000.00")),
    }

    assert gift_limits("CZK") == (Decimal("15.00"), Decimal("1000.00"))


def test_currency_without_a_recent_rate_is_refused_up_front(client, campaign):
    FxRate.objects.create(
        currency="DKK",
        day=timezone.localdate() - timedelta(days=8),
        per_eur=Decimal("7.46"),
        source="test",
    )

    response = post_donation(client, campaign, amount="50", currency="DKK")

    assert response.status_code == 400
    assert "Gifts in DKK are not possible today" in errors_of(response, "currency")
    assert Gift.objects.count() == 0


def test_gift_is_created_in_the_chosen_currency(client, campaign, rates, stripe_api):
    response = post_donation(client, campaign, amount="1 250,50", currency="CZK")

    assert response.status_code == 200
    assert Gift.objects.get().amount == Money(Decimal("1250.50"), "CZK")


def test_form_without_a_currency_gives_in_the_campaigns(client, campaign, stripe_api):
    response = post_donation(client, campaign, currency=None)

    assert response.status_code == 200
    assert Gift.objects.get().amount == Money(Decimal("50.00"), "EUR")


def test_campaign_in_another_currency_takes_only_its_own(client, campaign, rates):
    campaign.goal = Money(Decimal("500000"), "CZK")
    campaign.raised = Money(0, "CZK")
    campaign.save()

    response = post_donation(client, campaign, currency="EUR")

    assert response.status_code == 400
    assert errors_of(response, "currency") == "Gifts are made in CZK only."
    page = client.get(reverse("campaigns:donate", args=[campaign.slug]))
    assert 'name="currency"' not in page.content.decode()


def test_donate_page_offers_the_currencies_next_to_the_amount(client, campaign):
    page = client.get(
        reverse("campaigns:donate", args=[campaign.slug]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()

    for code in ("EUR", "CZK", "PLN", "DKK"):
        assert f'<option value="{code}"' in page
    assert page.index('name="amount"') < page.index('name="currency"')
    assert "Devise" in page


@pytest.mark.parametrize(
    ("currencies", "fault"),
    [
        (["EUR", "XYZ"], "XYZ is not in Stripe's minimum charge table"),
        (["EUR", "JPY"], "JPY does not have two decimals"),
        (["EUR", "SEK"], "SEK has no row in GIFT_CURRENCY_LIMITS"),
        (["CZK"], "must include EUR"),
        (["EUR", "GBP"], "GBP has no row in GIFT_CURRENCY_LIMITS"),
    ],
)
def test_start_up_check_refuses_a_currency_without_what_it_needs(
    settings, currencies, fault
):
    settings.GIFT_CURRENCIES = currencies

    messages = [
        error.msg for error in checks.run_checks() if error.id == "payments.E001"
    ]

    assert any(fault in message for message in messages), messages


def test_start_up_check_accepts_the_default_currencies():
    assert not [e for e in checks.run_checks() if e.id == "payments.E001"]


def test_campaign_in_a_currency_without_limits_keeps_the_euro_figures(client, campaign):
    FxRate.objects.create(
        currency="CHF",
        day=timezone.localdate(),
        per_eur=Decimal("0.94"),
        source="test",
    )
    campaign.goal = Money(Decimal("50000"), "CHF")
    campaign.raised = Money(0, "CHF")
    campaign.save()

    response = post_donation(client, campaign, amount="0.90", currency="CHF")

    assert response.status_code == 400
    assert errors_of(response, "amount") == "The minimum gift is CHF1."
