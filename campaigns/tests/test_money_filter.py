from decimal import Decimal

from django.utils import translation
from djmoney.money import Money

from campaigns.templatetags.money import money_short


def test_round_sums_drop_the_cents_in_french_and_english():
    with translation.override("fr"):
        assert money_short(Money(Decimal("3000"), "EUR")) == "3\u202f000\xa0€"
    with translation.override("en"):
        assert money_short(Money(Decimal("3000"), "EUR")) == "€3,000"


def test_amounts_with_cents_keep_them():
    with translation.override("en"):
        assert money_short(Money(Decimal("17.50"), "EUR")) == "€17.50"


def test_other_values_pass_through():
    assert money_short("—") == "—"
