"""The IFI option of the tax preview: 75 % of the gift, at most 50,000 €."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.tax import cost_after_ifi, ifi_reduction
from fx.models import FxRate


@pytest.mark.parametrize(
    ("amount", "reduction", "cost"),
    [
        ("100.00", "75.00", "25.00"),
        ("10.01", "7.51", "2.50"),
        ("66666.65", "49999.99", "16666.66"),
        ("66666.67", "50000.00", "16666.67"),
        ("100000.00", "50000.00", "50000.00"),
    ],
)
def test_ifi_takes_75_percent_up_to_its_cap(amount, reduction, cost):
    assert ifi_reduction(Decimal(amount)) == Decimal(reduction)
    assert cost_after_ifi(Decimal(amount)) == Decimal(cost)


def test_ifi_rate_and_cap_are_settings(settings):
    settings.TAX_IFI_RATE = Decimal("0.50")
    settings.TAX_IFI_CAP_EUR = Decimal("1000.00")

    assert ifi_reduction(Decimal("1000.00")) == Decimal("500.00")
    assert ifi_reduction(Decimal("5000.00")) == Decimal("1000.00")


def donate_page(client, campaign, language="en"):
    return client.get(
        reverse("campaigns:donate", args=[campaign.slug]),
        HTTP_ACCEPT_LANGUAGE=language,
    ).content.decode()


def ifi_data(page):
    match = re.search(
        r'<script id="donate-ifi" type="application/json">(.*?)</script>', page
    )
    return json.loads(match[1]) if match else None


@pytest.mark.django_db
def test_page_offers_ifi_with_its_rate_and_cap_per_currency(client, campaign, settings):
    settings.TAX_IFI_ENABLED = True
    FxRate.objects.create(
        currency="CZK",
        day=timezone.localdate() - timedelta(days=2),
        per_eur=Decimal("25.1"),
        source="test",
    )

    page = donate_page(client, campaign, "fr")

    assert 'id="ifi-preview"' in page
    assert "IFI : 75 % du don" in page
    assert "50\u202f000\xa0€" in page
    # Currencies without a recent rate get no IFI figure rather than a guess.
    data = ifi_data(page)
    assert data["rate"] == "0.75"
    assert data["caps"] == {"EUR": "50000.00", "CZK": "1255000.00"}
    assert data["message"] == "Après réduction d'IFI, ce don vous coûte %(cost)s."


@pytest.mark.django_db
def test_page_hides_ifi_when_the_setting_is_off(client, campaign, settings):
    settings.TAX_IFI_ENABLED = False

    page = donate_page(client, campaign)

    assert 'id="ifi-preview"' not in page
    assert "IFI" not in page
    assert ifi_data(page) is None
