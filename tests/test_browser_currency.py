"""Giving in another currency, and the IFI preview, in a real browser."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from djmoney.money import Money
from playwright.sync_api import expect

from tests.test_browser import (
    VISA,
    assert_paid_once_with_receipt,
    campaign_figures,
    complete_challenges_until_thanks,
    donate_url,
    fill_gift_form,
    wait_for_webhook,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_gift_in_dkk_is_charged_in_dkk_counted_and_receipted_in_euros(
    site, live_campaign, open_page, celery_worker_process, worker_mail_dir
):
    # The worker issues the receipt; requesting it also ends its database
    # sessions before the flush, as for every test that pays.
    from fx.models import FxRate
    from payments.models import Gift
    from receipts.models import Receipt

    # Given the ECB's DKK rate of the day and an English-speaking donor
    FxRate.objects.create(
        currency="DKK",
        day=timezone.localdate(),
        per_eur=Decimal("7.4601"),
        source="test",
    )
    page = open_page("en-GB")
    raised_before, _donors = campaign_figures(page, site, live_campaign)
    page.goto(donate_url(site, live_campaign))

    # When they choose Danish kroner, whose suggested amounts are in euros
    page.select_option("#id_currency", "DKK")
    expect(page.locator(".presets")).to_be_hidden()
    expect(page.locator("#amount-unit")).to_have_text("DKK")
    # And give 375.50 kr. by card
    fill_gift_form(page, amount="375.50", email="dkk@example.org", card=VISA)
    expect(page.get_by_test_id("tax-line")).to_contain_text(
        re.compile(r"DKK\s?127\.67")
    )
    page.click("#donate-submit")
    complete_challenges_until_thanks(page)

    # Then they are thanked for the amount in their currency
    expect(page.get_by_test_id("thanks")).to_contain_text("DKK375.50")
    # And the gift keeps what was paid, the rate and its euro value
    gift = Gift.objects.get()
    wait_for_webhook(gift.stripe_payment_intent_id)
    gift.refresh_from_db()
    assert gift.amount == Money(Decimal("375.50"), "DKK")
    assert gift.fx_rate == Decimal("7.4601")
    assert gift.amount_eur == Money(Decimal("50.33"), "EUR")
    # And the euro campaign moved by the converted cents, once
    raised_after, _donors = campaign_figures(page, site, live_campaign)
    assert raised_after - raised_before == Decimal("50.33")
    # And the receipt the worker emails certifies the same euros
    assert_paid_once_with_receipt("dkk@example.org", worker_mail_dir)
    assert Receipt.objects.get(gift=gift).amount == Money(Decimal("50.33"), "EUR")


def test_ifi_preview_applies_its_rate_and_cap(site, live_campaign, open_page, settings):
    # Given a foundation whose gifts may reduce the IFI
    settings.TAX_IFI_ENABLED = True
    page = open_page("fr-FR")
    page.goto(donate_url(site, live_campaign))
    tax_line = page.get_by_test_id("tax-line")

    # When an individual types 1 000 € and asks for the IFI figure
    page.fill("#id_amount", "1000")
    expect(tax_line).to_contain_text("340,00")
    page.check("#ifi-preview")

    # Then the line shows the 75 % IFI reduction
    expect(tax_line).to_have_text(
        re.compile(r"Après réduction d['’]IFI, ce don vous coûte 250,00\s€")
    )
    # And above 66,666.67 € the 50,000 € cap holds
    page.fill("#id_amount", "80000")
    expect(tax_line).to_contain_text("30\u202f000,00")

    # And a company never sees the IFI option, and only 20,000 € of its
    # 80,000 € count this year (60 %), the rest carrying over
    page.check("input[name=kind][value=company]")
    expect(page.locator("#ifi-preview")).to_be_hidden()
    expect(tax_line).to_contain_text("68\u202f000,00")
    expect(tax_line).to_contain_text("plafond")
    # unless 0.5 % of its turnover is larger: 20 M€ of turnover lets 80,000 € count
    page.fill("#turnover-preview", "20000000")
    expect(tax_line).to_contain_text("32\u202f000,00")


def test_no_ifi_option_when_the_setting_is_off(site, live_campaign, open_page):
    page = open_page("en-GB")
    page.goto(donate_url(site, live_campaign))

    expect(page.locator("#donate-form")).to_be_visible()
    expect(page.locator("#ifi-preview")).to_have_count(0)


def test_donate_page_with_ifi_and_another_currency_passes_axe(
    site, live_campaign, open_page, settings
):
    from tests.test_accessibility import serious_violations

    settings.TAX_IFI_ENABLED = True
    page = open_page("fr-FR")
    page.goto(donate_url(site, live_campaign))
    page.select_option("#id_currency", "PLN")
    page.fill("#id_amount", "100")
    page.check("#ifi-preview")

    assert serious_violations(page) == []
