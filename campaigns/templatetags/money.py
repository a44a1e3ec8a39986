"""Money as donors read it: "3 000 €" rather than "3 000,00 €" for round sums."""

from babel import Locale
from babel.numbers import format_currency
from django import template
from django.utils import translation
from djmoney.money import Money

register = template.Library()

_BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


@register.filter
def money_short(value):
    if not isinstance(value, Money):
        return value
    locale = _BABEL_LOCALES.get((translation.get_language() or "fr")[:2], "fr_FR")
    amount = value.amount
    if amount != amount.to_integral_value():
        return str(value)
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    pattern = pattern.split(";")[0].replace(".00", "")
    return format_currency(
        amount,
        str(value.currency),
        format=pattern,
        locale=locale,
        currency_digits=False,
    )
