"""Browser fixtures: Debian's Chromium driven by Playwright, on the live server."""

from decimal import Decimal

import pytest
from djmoney.money import Money
from playwright.sync_api import sync_playwright

from devtools.stripe_server import register_webhook

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox --disable-gpu --disable-background-networking"
    " --disable-component-update --disable-sync --no-first-run"
).split()


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an asyncio loop registered in this thread, and
    # Django then refuses ORM calls from the test; the variable lifts that check
    # for this module only (the test and the ORM still run one call at a time).
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """A fresh context (cookies, language) per page; all closed after the test."""
    contexts = []

    def open_page(locale="en-GB"):
        context = browser.new_context(locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def site(live_server, stripe_api, fake_stripe, settings):
    """The live server, its pages loading the fake Stripe.js, webhooks wired.

    Only ``payment_intent.succeeded`` is sent, and tests that pay wait for it:
    an event delivered after the test would hit a database already flushed.
    """
    settings.STRIPE_JS_URL = f"{fake_stripe.base_url}/js.stripe.com/v3/"
    register_webhook(
        fake_stripe.base_url,
        "mecene-browser-tests",
        f"{live_server.url}/stripe/webhook/",
        settings.STRIPE_WEBHOOK_SECRET,
        events=["payment_intent.succeeded"],
    )
    return live_server.url


@pytest.fixture
def live_campaign(campaign):
    """The campaign with a total already raised and two suggested amounts."""
    campaign.raised = Money(Decimal("1250.00"), "EUR")
    campaign.gift_count = campaign.donor_count = 3
    campaign.save()
    for position, amount in enumerate(("20.00", "50.00")):
        campaign.suggested_amounts.create(
            amount=Money(Decimal(amount), "EUR"), position=position
        )
    return campaign
