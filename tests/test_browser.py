"""The donate page in a real browser: Debian's Chromium driven by Playwright.

Pages come from pytest-django's ``live_server``, card data goes to the offline
Stripe and receipts are issued by a real Celery worker. Every server and the
browser are processes started by the fixtures, on 127.0.0.1 only.
"""

import re
import uuid
from decimal import Decimal
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from djmoney.money import Money
from playwright.sync_api import expect

from conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VISA = "4242424242424242"
THREE_DS = "4000002500003155"
DECLINED_AT_SETUP = "4000000000000002"
COMPLETE_3DS = "Complete authentication"
FAIL_3DS = "Fail authentication"
# Django's file-based mail backend writes each message followed by this line.
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"
# Names the focused element: a preset by its amount, anything else by its id.
FOCUSED_ELEMENT_JS = """() => { const el = document.activeElement;
    return el.dataset.amount ? "preset " + el.dataset.amount : el.id || el.tagName; }"""


@pytest.fixture
def donor_email():
    # The worker's mail folder is shared by the session: one address per test.
    return f"donor-{uuid.uuid4().hex[:10]}@example.org"


def donate_url(site, campaign):
    return f"{site}/campaigns/{campaign.slug}/donate/"


def campaign_figures(page, site, campaign):
    """The campaign page's raised total (English format) and donor count."""
    page.goto(f"{site}/campaigns/{campaign.slug}/")
    raised = page.get_by_test_id("raised").inner_text()
    donors = page.get_by_test_id("donors").inner_text()
    return Decimal(re.sub(r"[^\d.]", "", raised)), int(donors)


def fill_gift_form(page, *, amount, email, card, address="12 rue des Écoles"):
    page.fill("#id_amount", amount)
    page.fill("#id_first_name", "Anne")
    page.fill("#id_last_name", "Martin")
    page.fill("#id_email", email)
    page.fill("#id_address_line", address)
    page.fill("#id_postal_code", "75005")
    page.fill("#id_city", "Paris")
    # The fake Stripe.js card element: five plain inputs known by placeholder.
    placeholders = ("number", "exp_month", "exp_year", "cvc", "postal_code")
    values = (card, "12", "34", "123", "75005")
    for placeholder, value in zip(placeholders, values, strict=True):
        page.get_by_placeholder(placeholder, exact=True).fill(value)


def complete_challenges_until_thanks(page, most=2):
    """Complete every 3-D Secure modal shown (setup, then payment) until thanks."""
    thanks = page.get_by_test_id("thanks")
    complete = page.get_by_role("button", name=COMPLETE_3DS)
    passed = 0
    for _ in range(most):
        expect(thanks.or_(complete)).to_be_visible()
        if thanks.is_visible():
            break
        complete.click()
        passed += 1
    expect(thanks).to_be_visible()
    return passed


def mails_to(mail_dir, address):
    messages = []
    for path in sorted(Path(mail_dir).glob("*.log")):
        for chunk in path.read_bytes().split(MAIL_SEPARATOR):
            if chunk.strip():
                message = BytesParser(policy=policy.default).parsebytes(chunk)
                if address in str(message["To"]):
                    messages.append(message)
    return messages


def assert_paid_once_with_receipt(email, worker_mail_dir):
    from payments.models import Gift
    from receipts.models import Receipt

    gift = Gift.objects.get(donor__email=email)
    assert gift.status == Gift.Status.PAID
    emailed = wait_until(
        lambda: Receipt.objects.filter(gift=gift, emailed_at__isnull=False).exists(),
        timeout=30,
    )
    assert emailed, "the worker did not issue and email the receipt"
    assert Receipt.objects.filter(gift__donor__email=email).count() == 1

    (message,) = mails_to(worker_mail_dir, email)
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename().startswith("recu-fiscal-")
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF-")


def wait_for_webhook(payment_intent_id):
    from payments.models import StripeEvent

    processed = wait_until(
        lambda: StripeEvent.objects.filter(
            type="payment_intent.succeeded",
            stripe_object_id=payment_intent_id,
            status=StripeEvent.Status.PROCESSED,
        ).exists(),
        timeout=10,
    )
    assert processed, "payment_intent.succeeded did not reach the webhook"


@pytest.mark.parametrize(
    "card", [pytest.param(VISA, id="visa"), pytest.param(THREE_DS, id="3ds")]
)
def test_card_gift_is_paid_counted_and_receipted(
    site, live_campaign, open_page, donor_email, card, celery_worker_process,
    worker_mail_dir, tmp_path,
):  # fmt: skip
    from payments.models import Gift

    # Given an English-speaking donor on the campaign page
    page = open_page("en-GB")
    raised_before, donors_before = campaign_figures(page, site, live_campaign)

    # When they give 50 €, completing 3-D Secure if their bank asks for it
    page.goto(donate_url(site, live_campaign))
    fill_gift_form(page, amount="50", email=donor_email, card=card)
    page.screenshot(path=tmp_path / "donate.png", full_page=True)
    page.click("#donate-submit")
    challenges = complete_challenges_until_thanks(page)

    # Then only the 3-D Secure card was challenged, and they are thanked for 50 €
    assert (challenges > 0) == (card == THREE_DS)
    expect(page.get_by_test_id("thanks")).to_contain_text("50.00")
    assert re.search(r"/gifts/[0-9a-f-]{36}/thanks/$", page.url)

    # And, once Stripe's webhook has come too, the campaign counts the gift once
    wait_for_webhook(Gift.objects.get().stripe_payment_intent_id)
    raised_after, donors_after = campaign_figures(page, site, live_campaign)
    assert raised_after - raised_before == Decimal("50.00")
    assert donors_after == donors_before + 1

    # And the worker emails one receipt, as a PDF, for the one paid gift
    assert_paid_once_with_receipt(donor_email, worker_mail_dir)


@pytest.mark.parametrize(
    ("answers", "gift_status"),
    [
        # At setup no payment is attempted, so the gift is left pending.
        pytest.param([FAIL_3DS], "pending", id="at-setup"),
        # At payment the PaymentIntent's attempt fails, and the gift with it.
        pytest.param([COMPLETE_3DS, FAIL_3DS], "failed", id="at-payment"),
    ],
)
def test_failed_3ds_challenge_shows_error_and_charges_nothing(
    site, live_campaign, open_page, donor_email, answers, gift_status
):
    from payments.models import Gift

    # Given a donor on the donate page with a card that asks for 3-D Secure
    page = open_page("en-GB")
    raised_before, donors_before = campaign_figures(page, site, live_campaign)
    page.goto(donate_url(site, live_campaign))
    fill_gift_form(page, amount="50", email=donor_email, card=THREE_DS)

    # When they fail the bank's challenge
    page.click("#donate-submit")
    for answer in answers:
        page.get_by_role("button", name=answer).click()

    # Then the page says so and lets them try again
    message = page.locator("#form-message")
    expect(message).to_contain_text(re.compile("authenticat", re.IGNORECASE))
    expect(page.locator("#donate-submit")).to_be_enabled()
    assert page.url == donate_url(site, live_campaign)

    # And the gift is not paid and the campaign total does not move
    assert Gift.objects.get().status == gift_status
    assert campaign_figures(page, site, live_campaign) == (raised_before, donors_before)


def test_card_declined_at_setup_keeps_donor_on_form(
    site, live_campaign, open_page, donor_email
):
    from payments.models import Gift

    # Given a donor on the donate page with a card the bank declines
    page = open_page("en-GB")
    page.goto(donate_url(site, live_campaign))
    fill_gift_form(page, amount="50", email=donor_email, card=DECLINED_AT_SETUP)

    # When they submit the form
    page.click("#donate-submit")

    # Then the page shows the decline and keeps the form, ready for another card
    expect(page.locator("#form-message")).to_contain_text("declined")
    expect(page.locator("#donate-submit")).to_be_enabled()
    expect(page.locator("#id_email")).to_have_value(donor_email)
    assert page.url == donate_url(site, live_campaign)

    # And nothing is paid
    assert not Gift.objects.filter(status=Gift.Status.PAID).exists()
    live_campaign.refresh_from_db()
    assert live_campaign.raised == Money(Decimal("1250.00"), "EUR")


def test_form_marks_too_small_amount_and_missing_address(
    site, live_campaign, open_page, donor_email
):
    from payments.models import Gift

    # Given a donor who types 0.10 € and leaves the address empty
    page = open_page("en-GB")
    page.goto(donate_url(site, live_campaign))
    fill_gift_form(page, amount="0.10", email=donor_email, card=VISA, address="")

    # When they submit the form
    page.click("#donate-submit")

    # Then both fields are flagged, each described by a message shown next to it
    for name in ("amount", "address_line"):
        field = page.locator(f"#id_{name}")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_attribute("aria-describedby", f"{name}-error")
        expect(page.locator(f"#{name}-error")).to_be_visible()
    expect(page.locator("#amount-error")).to_contain_text("minimum")
    expect(page.locator("#form-message")).not_to_be_empty()

    # And no gift was recorded
    assert not Gift.objects.exists()


def test_french_page_previews_cost_after_tax_relief(site, live_campaign, open_page):
    # Given a French-speaking visitor on the donate page
    page = open_page("fr-FR")
    page.goto(donate_url(site, live_campaign))
    tax_line = page.get_by_test_id("tax-line")

    # When they type 50 € as an individual
    page.fill("#id_amount", "50")

    # Then the line shows what the gift costs after the 66 % reduction
    expect(tax_line).to_contain_text("17,00")

    # When they choose to give as a company
    page.check("input[name=kind][value=company]")

    # Then the line shows the 60 % company figure instead
    expect(tax_line).to_contain_text("20,00")
    expect(tax_line).not_to_contain_text("17,00")


def test_french_tax_line_wording(site, live_campaign, open_page):
    # Given a French-speaking visitor on the donate page
    page = open_page("fr-FR")
    page.goto(donate_url(site, live_campaign))

    # When they type 50 €
    page.fill("#id_amount", "50")

    # Then the line reads in French
    expect(page.get_by_test_id("tax-line")).to_have_text(
        re.compile(r"Après réduction d['’]impôt, ce don vous coûte 17,00\s€"),
        timeout=2_000,
    )


def test_french_preset_fills_amount(site, live_campaign, open_page):
    # Given a French-speaking visitor on a donate page with suggested amounts
    page = open_page("fr-FR")
    page.goto(donate_url(site, live_campaign))

    # When they pick the 20 € preset
    page.locator(".preset").first.click()

    # Then the amount field holds 20 and the line previews its cost, 6,80 €
    expect(page.locator("#id_amount")).to_have_value(
        re.compile(r"^20([.,]00?)?$"), timeout=2_000
    )
    expect(page.get_by_test_id("tax-line")).to_contain_text("6,80", timeout=2_000)


def test_keyboard_reaches_amount_presets_and_submit(site, live_campaign, open_page):
    # Given a visitor on the donate page who uses only the keyboard
    page = open_page("en-GB")
    page.goto(donate_url(site, live_campaign))

    # When they press Tab until the Donate button has focus
    focused = []
    while len(focused) < 60 and "donate-submit" not in focused:
        page.keyboard.press("Tab")
        focused.append(page.evaluate(FOCUSED_ELEMENT_JS))

    # Then they went through both presets and the amount field on the way
    assert focused[-1] == "donate-submit"
    for stop in ("preset 20.00", "preset 50.00", "id_amount"):
        assert stop in focused
