from decimal import Decimal

import pytest
from djmoney.money import Money

from payments.currency import (
    UnsupportedAmount,
    decimal_places,
    from_minor_units,
    minimum_charge,
    to_minor_units,
)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("100.00", "EUR", 10000),
        ("0.50", "EUR", 50),
        ("1234.56", "CZK", 123456),
        ("99.99", "DKK", 9999),
        ("15.00", "PLN", 1500),
        ("5000", "JPY", 5000),
        ("1.230", "BHD", 1230),
    ],
)
def test_to_minor_units_follows_stripe_currency_table(amount, currency, minor):
    assert to_minor_units(Money(Decimal(amount), currency)) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "amount"),
    [
        (10000, "EUR", "100.00"),
        (5, "PLN", "0.05"),
        (5000, "JPY", "5000"),
        (1230, "BHD", "1.230"),
    ],
)
def test_from_minor_units_gives_back_the_decimal_amount(minor, currency, amount):
    money = from_minor_units(minor, currency)

    assert money.amount == Decimal(amount)
    assert str(money.currency) == currency


def test_round_trip_keeps_every_cent():
    for cents in (1, 99, 100, 12345, 99_999_999):
        assert to_minor_units(from_minor_units(cents, "EUR")) == cents


def test_more_decimals_than_the_currency_has_are_refused_not_rounded():
    with pytest.raises(UnsupportedAmount):
        to_minor_units(Money(Decimal("10.005"), "EUR"))
    with pytest.raises(UnsupportedAmount):
        to_minor_units(Money(Decimal("10.5"), "JPY"))


def test_three_decimal_currency_must_end_in_zero():
    with pytest.raises(UnsupportedAmount):
        to_minor_units(Money(Decimal("1.234"), "BHD"))


def test_amounts_beyond_eight_digits_are_refused():
    with pytest.raises(UnsupportedAmount):
        to_minor_units(Money(Decimal("1000000.00"), "EUR"))


def test_minor_units_must_be_an_integer():
    with pytest.raises(TypeError):
        from_minor_units(10.0, "EUR")


def test_decimal_places_and_minimums_per_currency():
    assert decimal_places("eur") == 2
    assert decimal_places("JPY") == 0
    assert decimal_places("KWD") == 3
    assert minimum_charge("CZK") == Decimal("15.00")
    assert minimum_charge("EUR") == Decimal("0.50")
