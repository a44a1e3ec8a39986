"""Monthly gifts in a real browser: a SEPA monthly gift from the donate page,
then the donor's signed page to change the amount, the card and pause it."""

import uuid
from decimal import Decimal

import pytest
from djmoney.money import Money
from playwright.sync_api import expect

from tests.test_browser import VISA, donate_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IBAN = "FR14 2004 1010 0505 0001 3M02 606"


def fill_donor(page, email):
    page.fill("#id_first_name", "Anne")
    page.fill("#id_last_name", "Martin")
    page.fill("#id_email", email)
    page.fill("#id_address_line", "12 rue des Écoles")
    page.fill("#id_postal_code", "75005")
    page.fill("#id_city", "Paris")


def test_monthly_sepa_gift_from_the_donate_page(site, live_campaign, open_page):
    from payments.models import Gift, RecurringGift

    email = f"donor-{uuid.uuid4().hex[:10]}@example.org"
    # Given a French donor who chooses 20 € a month by direct debit
    page = open_page("fr-FR")
    page.goto(donate_url(site, live_campaign))
    page.fill("#id_amount", "20")
    page.get_by_label("Tous les mois").check()
    expect(page.get_by_text("Le premier paiement a lieu aujourd’hui")).to_be_visible()
    fill_donor(page, email)
    page.get_by_label("Prélèvement sur un compte bancaire (SEPA)").check()
    expect(page.get_by_test_id("mandate-text")).to_contain_text("débiter votre compte")

    # When they forget the mandate, the page says so and nothing is created
    page.fill("#id_iban", IBAN)
    page.click("#donate-submit")
    expect(page.locator("#mandate_accepted-error")).to_contain_text("mandat")
    assert not Gift.objects.exists()

    # And once they accept it, the first month is paid
    page.get_by_label("J’accepte le mandat de prélèvement ci-dessus.").check()
    page.click("#donate-submit")
    expect(page.get_by_test_id("thanks")).to_be_visible()

    plan = RecurringGift.objects.get(donor__email=email)
    assert plan.status == RecurringGift.Status.ACTIVE
    assert plan.method == "sepa"
    assert plan.amount == Money(Decimal("20.00"), "EUR")
    assert plan.mandate.iban_last4 == "2606"
    assert plan.gifts.get().status == Gift.Status.PAID


def test_the_signed_page_changes_amount_card_and_pauses(site, live_campaign, open_page):
    from conftest import DONOR_DETAILS, confirm_setup_in_browser
    from payments.models import RecurringGift
    from payments.recurring_links import manage_token
    from payments.services import gift_charge, gift_create, gift_prepare_payment

    gift = gift_create(
        campaign=live_campaign,
        donor_details={**DONOR_DETAILS, "language": "en"},
        amount=Money(Decimal("15.00"), "EUR"),
        monthly=True,
    )
    gift_prepare_payment(gift)
    gift.refresh_from_db()
    confirm_setup_in_browser(gift)
    gift_charge(gift, setup_intent_id=gift.stripe_setup_intent_id)
    plan = RecurringGift.objects.get()

    page = open_page("en-GB")
    page.goto(f"{site}/monthly/{manage_token(plan)}/")
    expect(page.get_by_test_id("monthly-status")).to_contain_text("Active")

    # A new amount
    page.fill("#id_amount", "25")
    page.get_by_role("button", name="Save the new amount").click()
    expect(page.get_by_text("Your new monthly amount is saved.")).to_be_visible()

    # A new card, through Stripe.js
    for placeholder, value in zip(
        ("number", "exp_month", "exp_year", "cvc", "postal_code"),
        (VISA, "07", "31", "123", "75005"),
        strict=True,
    ):
        page.get_by_placeholder(placeholder, exact=True).fill(value)
    page.get_by_role("button", name="Use this one from now on").click()
    expect(page.get_by_text("will be used from now on")).to_be_visible()

    # A pause
    page.get_by_role("button", name="Pause my monthly gift").click()
    expect(page.get_by_test_id("monthly-status")).to_contain_text("Paused")

    plan.refresh_from_db()
    assert plan.amount == Money(Decimal("25.00"), "EUR")
    assert (plan.card_exp_month, plan.card_exp_year) == (7, 2031)
    assert plan.status == RecurringGift.Status.PAUSED
