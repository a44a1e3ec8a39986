"""Gifts in CZK, PLN or DKK: converted to euros once, when paid, and counted
in the campaign's euros from the stored amount ever after."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from djmoney.money import Money

from campaigns.services import campaign_recompute_totals
from conftest import DONOR_DETAILS, confirm_setup_in_browser, stripe_client
from dashboard.models import DailyTotal
from fx.models import FxRate
from payments.models import Gift, GiftEvent
from payments.refunds import gift_refund
from payments.services import gift_charge, gift_create, gift_prepare_payment
from receipts.services import receipt_issue_for_gift
from receipts.tasks import receipt_sweep_task

pytestmark = pytest.mark.django_db


def rate(currency, per_eur, day=None):
    return FxRate.objects.create(
        currency=currency,
        day=day or timezone.localdate(),
        per_eur=Decimal(per_eur),
        source="test",
    )


@pytest.fixture
def card_gift(stripe_api, campaign):
    """A gift in ``currency`` paid by card through the offline Stripe."""

    def pay(amount, currency, email=DONOR_DETAILS["email"]):
        gift = gift_create(
            campaign=campaign,
            donor_details={**DONOR_DETAILS, "email": email, "language": "fr"},
            amount=Money(Decimal(amount), currency),
        )
        gift_prepare_payment(gift)
        gift.refresh_from_db()
        confirm_setup_in_browser(gift)
        outcome = gift_charge(gift, setup_intent_id=gift.stripe_setup_intent_id)
        assert outcome.status == "paid"
        gift.refresh_from_db()
        return gift

    return pay


def live_figures(campaign):
    campaign.refresh_from_db()
    days = sorted(
        DailyTotal.objects.filter(campaign=campaign).values_list(
            "day", "method", "gifts", "amount", "refunded"
        )
    )
    return campaign.raised, campaign.gift_count, campaign.donor_count, days


def test_czk_gift_is_charged_in_czk_and_moves_euro_total_by_its_euro_value(
    card_gift, campaign
):
    # Given the ECB's CZK rate of the day
    rate("CZK", "25.125")

    # When a donor pays 1,250 CZK by card
    gift = card_gift("1250.00", "CZK")

    # Then Stripe charged 125,000 haléřů
    intent = stripe_client().v1.payment_intents.retrieve(gift.stripe_payment_intent_id)
    assert (intent.amount, intent.currency) == (125000, "czk")
    # And the gift keeps the amount paid, the rate and its euro value
    assert gift.status == Gift.Status.PAID
    assert gift.amount == Money(Decimal("1250.00"), "CZK")
    assert gift.fx_rate == Decimal("25.125")
    assert gift.amount_eur == Money(Decimal("49.75"), "EUR")
    # And the euro campaign and its day moved by the converted cents
    campaign.refresh_from_db()
    assert campaign.raised == Money(Decimal("49.75"), "EUR")
    assert DailyTotal.objects.get(campaign=campaign).amount == Decimal("49.75")
    # And the receipt certifies the same euros
    assert receipt_issue_for_gift(gift.pk).amount == Money(Decimal("49.75"), "EUR")


def test_gift_paid_before_the_days_rate_is_out_takes_the_last_one_published(
    card_gift, campaign
):
    rate("DKK", "7.4600", day=timezone.localdate() - timedelta(days=1))

    gift = card_gift("100.00", "DKK")

    assert gift.fx_rate == Decimal("7.46")
    assert gift.amount_eur == Money(Decimal("13.40"), "EUR")


def test_stored_rate_is_never_read_again(card_gift, campaign):
    fx = rate("CZK", "25.000")
    gift = card_gift("500.00", "CZK")

    # A corrected rate imported later changes neither the gift nor the totals.
    FxRate.objects.filter(pk=fx.pk).update(per_eur=Decimal("20"))
    gift.refresh_from_db()
    rebuilt = campaign_recompute_totals(campaign.pk)

    assert gift.amount_eur == Money(Decimal("20.00"), "EUR")
    assert rebuilt.raised == Money(Decimal("20.00"), "EUR")


def test_gift_paid_without_a_rate_stays_paid_and_is_valued_by_the_sweep(
    card_gift, campaign
):
    # Given no CZK rate at all when the donor pays
    gift = card_gift("1000.00", "CZK")

    # Then the gift is paid and counted as a gift, with no value yet
    assert gift.status == Gift.Status.PAID
    assert gift.amount_eur is None
    assert gift.fx_rate is None
    campaign.refresh_from_db()
    assert (campaign.raised.amount, campaign.gift_count) == (Decimal("0"), 1)
    # And what is missing is recorded, naming the day
    missing = GiftEvent.objects.get(gift=gift, kind="conversion_missing")
    assert f"no ECB rate for CZK on {gift.tax_date}" in missing.data["reason"]

    # When the rates are imported and the sweep runs
    rate("CZK", "25.000", day=gift.tax_date)
    assert receipt_sweep_task(min_age_seconds=0)["converted"] == 1

    # Then the gift is converted once and its value joins the totals
    gift.refresh_from_db()
    assert gift.amount_eur == Money(Decimal("40.00"), "EUR")
    live = live_figures(campaign)
    assert live[0] == Money(Decimal("40.00"), "EUR")
    assert receipt_sweep_task(min_age_seconds=0)["converted"] == 0
    campaign_recompute_totals(campaign.pk)
    assert live_figures(campaign) == live


def test_refunds_of_a_pln_gift_take_off_its_euro_value_proportionally(
    card_gift, campaign
):
    # Given a 200 PLN gift worth 47.62 € at 4.2 PLN for 1 EUR
    rate("PLN", "4.2")
    gift = card_gift("200.00", "PLN")
    assert gift.amount_eur == Money(Decimal("47.62"), "EUR")

    # When a third is refunded, then the rest
    gift_refund(gift.pk, amount=Decimal("66.67"), reason="part", request_id="p1")
    campaign.refresh_from_db()
    after_part = campaign.raised

    gift_refund(gift.pk, amount=None, reason="rest", request_id="p2")

    # Then the campaign kept the euro share of what was kept, then nothing
    assert after_part == Money(Decimal("31.75"), "EUR")
    gift.refresh_from_db()
    assert gift.receipt_amount is not None
    campaign.refresh_from_db()
    assert (campaign.raised.amount, campaign.gift_count) == (Decimal("0.00"), 0)
    day = DailyTotal.objects.get(campaign=campaign)
    assert (day.amount, day.refunded, day.gifts) == (
        Decimal("47.62"),
        Decimal("47.62"),
        0,
    )


def test_rebuild_gives_the_live_cents_for_mixed_currencies_and_refunds(
    card_gift, campaign
):
    rate("CZK", "25.125")
    rate("PLN", "4.2")
    rate("DKK", "7.46")
    card_gift("50.00", "EUR", email="eur@example.org")
    czk = card_gift("777.77", "CZK", email="czk@example.org")
    pln = card_gift("123.45", "PLN", email="pln@example.org")
    card_gift("99.99", "DKK", email="dkk@example.org")
    gift_refund(czk.pk, amount=Decimal("100.01"), reason="a", request_id="r1")
    gift_refund(czk.pk, amount=Decimal("33.33"), reason="b", request_id="r2")
    gift_refund(pln.pk, amount=None, reason="c", request_id="r3")
    live = live_figures(campaign)

    campaign_recompute_totals(campaign.pk)

    assert live_figures(campaign) == live
    czk.refresh_from_db()
    expected = (
        Decimal("50.00")
        + czk.receipt_amount.amount
        + Gift.objects.get(amount_currency="DKK").amount_eur.amount
    )
    assert live[0] == Money(expected, "EUR")
    assert live[1:3] == (3, 3)


def test_gift_in_another_currency_than_a_non_euro_campaign_is_refused(
    campaign, make_donor
):
    from django.db import transaction

    from campaigns.valuation import CurrencyMismatch
    from payments.gateway import IntentState
    from payments.services import gift_mark_paid

    campaign.goal = Money(Decimal("500000"), "CZK")
    campaign.raised = Money(0, "CZK")
    campaign.save()
    rate("PLN", "4.2")
    gift = Gift.objects.create(
        donor=make_donor(), campaign=campaign, amount=Money(Decimal("20"), "PLN")
    )
    intent = IntentState(
        id="", status="succeeded", client_secret="", amount_minor=2000, currency="PLN"
    )

    with pytest.raises(CurrencyMismatch), transaction.atomic():
        gift_mark_paid(
            Gift.objects.select_for_update().get(pk=gift.pk), intent, source="t"
        )

    assert Gift.objects.get(pk=gift.pk).status == Gift.Status.PENDING


def test_gift_in_a_currency_withdrawn_meanwhile_is_still_paid_and_counted(
    card_gift, campaign, settings
):
    # Given a DKK rate, and DKK taken off the list after the gift was made
    rate("DKK", "7.46")
    settings.GIFT_CURRENCIES = ["EUR", "CZK"]

    gift = card_gift("74.60", "DKK")

    assert gift.status == Gift.Status.PAID
    campaign.refresh_from_db()
    assert campaign.raised == Money(Decimal("10.00"), "EUR")


def test_annual_dry_run_totals_foreign_gifts_at_their_euro_value(
    campaign, make_donor, capsys
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.core.management import call_command

    # Given an annual donor's 2025 gifts: 30 € and 1,000 CZK worth 40 €
    donor = make_donor(email="annual@example.org", receipt_preference="annual")
    paid_at = datetime(2025, 6, 5, 10, tzinfo=ZoneInfo("Europe/Paris"))
    for amount, euros in ((Money(30, "EUR"), None), (Money(1000, "CZK"), 40)):
        Gift.objects.create(
            donor=donor,
            campaign=campaign,
            amount=amount,
            amount_eur=None if euros is None else Money(euros, "EUR"),
            status=Gift.Status.PAID,
            paid_at=paid_at,
            receipt_mode="annual",
        )

    call_command("issue_annual_receipts", year="2025", dry_run=True)

    assert "(2 gifts, 70.00 EUR)" in capsys.readouterr().out
