"""Start-up checks of the payment settings."""

from decimal import Decimal

from django.conf import settings
from django.core import checks

from payments.currency import MAX_MINOR_UNITS, MINIMUM_CHARGE, decimal_places


@checks.register(checks.Tags.compatibility)
def gift_currencies_check(app_configs=None, **kwargs):
    """Every offered currency has limits, a Stripe minimum and cents.

    The donate form takes two decimals, so a zero- or three-decimal currency
    would need its own amount field; such a currency is refused here.
    """
    errors = []
    if "EUR" not in settings.GIFT_CURRENCIES:
        errors.append(
            checks.Error("GIFT_CURRENCIES must include EUR", id="payments.E001")
        )
    for code in settings.GIFT_CURRENCIES:
        problem = _currency_problem(code)
        if problem:
            errors.append(
                checks.Error(
                    f"GIFT_CURRENCIES: {code} {problem}",
                    hint="See docs/currencies.md.",
                    id="payments.E001",
                )
            )
    return errors


def _currency_problem(code: str) -> str:
    if code not in MINIMUM_CHARGE:
        return "is not in Stripe's minimum charge table (payments.currency)"
    if decimal_places(code) != 2:
        return "does not have two decimals in Stripe's minor units"
    limits = settings.GIFT_CURRENCY_LIMITS.get(code)
    if limits is None:
        return "has no row in GIFT_CURRENCY_LIMITS"
    minimum, maximum = (Decimal(value) for value in limits)
    if not 0 < minimum < maximum:
        return "has limits that are not 0 < minimum < maximum"
    if maximum.scaleb(2) > MAX_MINOR_UNITS:
        return "has a maximum above Stripe's largest charge"
    return ""
