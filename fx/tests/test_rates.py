"""rate_on and to_eur: which day's rate a gift gets, and its euro value."""

from datetime import date
from decimal import Decimal

import pytest
from djmoney.money import Money

from fx.rates import MissingRate, rate_on, to_eur

pytestmark = pytest.mark.django_db

FRIDAY = date(2026, 11, 27)
SATURDAY = date(2026, 11, 28)
SUNDAY = date(2026, 11, 29)
MONDAY = date(2026, 11, 30)


def test_rate_of_the_day_itself(store_rate):
    # given
    store_rate("CZK", FRIDAY, "25.087")
    store_rate("CZK", MONDAY, "25.102")

    # when
    rate = rate_on("CZK", MONDAY)

    # then
    assert rate == Decimal("25.102")


@pytest.mark.parametrize("day", [SATURDAY, SUNDAY], ids=["saturday", "sunday"])
def test_weekend_uses_fridays_rate(store_rate, day):
    # given the ECB published on Friday and nothing since
    store_rate("PLN", FRIDAY, "4.2815")

    # when
    rate = rate_on("PLN", day)

    # then
    assert rate == Decimal("4.2815")


def test_holiday_uses_the_day_before_once_a_later_day_is_imported(store_rate):
    # given Christmas (a Friday, TARGET holiday) between two published days
    store_rate("DKK", date(2026, 12, 24), "7.4630")
    store_rate("DKK", date(2026, 12, 28), "7.4641")

    # when
    rate = rate_on("DKK", date(2026, 12, 25))

    # then
    assert rate == Decimal("7.4630")


def test_weekday_not_imported_yet_raises_rather_than_use_the_day_before(
    store_rate,
):
    # given Friday's rate, and Monday's not yet published or imported
    store_rate("CZK", FRIDAY, "25.087")

    # when
    with pytest.raises(MissingRate) as missing:
        rate_on("CZK", MONDAY)

    # then
    assert str(missing.value) == (
        "no ECB rate for CZK on 2026-11-30 yet; import that day's rates first"
    )


def test_rate_seven_days_back_is_still_used(store_rate):
    # given a rate on Friday 27 November and the next on Monday 7 December
    store_rate("CZK", FRIDAY, "25.087")
    store_rate("CZK", date(2026, 12, 7), "25.140")

    # when
    rate = rate_on("CZK", date(2026, 12, 4))

    # then
    assert rate == Decimal("25.087")


def test_more_than_seven_days_back_raises_naming_currency_and_date(store_rate):
    # given the last CZK rate nine days before
    store_rate("CZK", FRIDAY, "25.087")

    # when
    with pytest.raises(MissingRate) as missing:
        rate_on("CZK", date(2026, 12, 6))

    # then
    assert str(missing.value) == (
        "no ECB rate for CZK on 2026-12-06 or the 7 days before; import the rates first"
    )


def test_another_currencys_rate_is_never_used(store_rate):
    # given only PLN rates
    store_rate("PLN", FRIDAY, "4.2815")

    # when / then
    with pytest.raises(MissingRate, match="no ECB rate for CZK on 2026-11-27"):
        rate_on("CZK", FRIDAY)


def test_euro_is_one_without_any_stored_rate():
    assert rate_on("EUR", FRIDAY) == Decimal("1")


@pytest.mark.parametrize(
    ("amount", "per_eur", "euros"),
    [
        (Money("1250.00", "CZK"), "25.125", "49.75"),
        (Money("503.93", "CZK"), "25.04", "20.13"),
        (Money("215.00", "PLN"), "4.2710", "50.34"),
        (Money("52.38", "PLN"), "4.32", "12.13"),
        (Money("750.00", "DKK"), "7.4608", "100.53"),
        (Money("100.00", "DKK"), "7.4612", "13.40"),
    ],
    ids=[
        "czk-down", "czk-exact-half-up", "pln-up", "pln-exact-half-up",
        "dkk-up", "dkk-down",
    ],
)  # fmt: skip
def test_to_eur_rounds_to_cents_half_up_and_returns_the_rate(
    store_rate, amount, per_eur, euros
):
    # given
    store_rate(str(amount.currency), FRIDAY, per_eur)

    # when
    in_euros, rate = to_eur(amount, FRIDAY)

    # then
    assert in_euros == Money(euros, "EUR")
    assert str(in_euros.amount) == euros
    assert rate == Decimal(per_eur)


def test_to_eur_passes_euros_through_at_rate_one():
    # when
    in_euros, rate = to_eur(Money("50.00", "EUR"), SUNDAY)

    # then
    assert in_euros == Money("50.00", "EUR")
    assert rate == Decimal("1")


def test_to_eur_without_a_rate_raises_instead_of_using_one(store_rate):
    # given no CZK rate near the day
    store_rate("CZK", date(2026, 11, 2), "25.050")

    # when / then
    with pytest.raises(MissingRate, match="no ECB rate for CZK on 2026-11-27"):
        to_eur(Money("1250.00", "CZK"), FRIDAY)
