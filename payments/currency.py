"""Currencies as Stripe counts them: minor units and minimum charges.

Stripe's table, not the ISO 4217 exponent, decides how many minor units an
amount has (ISK and HUF differ from ISO), so this module is the one place
that converts a ``Money`` to the integer Stripe expects and back.
"""

from decimal import ROUND_HALF_UP, Decimal

from djmoney.money import Money

# Stripe's zero-decimal currencies: the amount is sent as is.
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()
)
# Three-decimal currencies: sent in thousandths whose last digit must be 0.
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())

# Stripe's minimum charge per currency (its currencies page). Used on top of
# the foundation's own minimum; the offline Stripe enforces none of these.
MINIMUM_CHARGE = {
    "EUR": Decimal("0.50"),
    "USD": Decimal("0.50"),
    "CHF": Decimal("0.50"),
    "GBP": Decimal("0.30"),
    "CZK": Decimal("15.00"),
    "DKK": Decimal("2.50"),
    "PLN": Decimal("2.00"),
    "SEK": Decimal("3.00"),
    "NOK": Decimal("3.00"),
    "HUF": Decimal("175.00"),
    "JPY": Decimal("50"),
}

# Stripe caps an amount at eight digits in minor units.
MAX_MINOR_UNITS = 99_999_999


class UnsupportedAmount(ValueError):
    """An amount Stripe cannot take in its currency."""


def decimal_places(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_minor_units(money: Money) -> int:
    """Return the integer amount Stripe expects for ``money``.

    Refuses amounts with more precision than the currency has instead of
    rounding them: a gift of 10.005 EUR is a bug upstream, not a rounding
    question to settle silently here.
    """
    amount = money.amount
    if not isinstance(amount, Decimal):
        raise TypeError("amounts must be Decimal")
    code = str(money.currency)
    places = decimal_places(code)
    quantum = Decimal(1).scaleb(-places)
    if amount.quantize(quantum) != amount:
        raise UnsupportedAmount(f"{amount} has more than {places} decimals for {code}")
    minor = int(amount.scaleb(places))
    if code in THREE_DECIMAL and minor % 10:
        raise UnsupportedAmount(f"{amount} {code} must end in 0 in thousandths")
    if minor < 0 or minor > MAX_MINOR_UNITS:
        raise UnsupportedAmount(f"{amount} {code} is outside Stripe's range")
    return minor


def from_minor_units(minor: int, currency: str) -> Money:
    if not isinstance(minor, int):
        raise TypeError("minor units must be an int")
    code = currency.upper()
    places = decimal_places(code)
    amount = Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))
    return Money(amount, code)


def minimum_charge(currency: str) -> Decimal:
    return MINIMUM_CHARGE.get(currency.upper(), Decimal("0.50"))


def quantize(amount: Decimal, currency: str) -> Decimal:
    places = decimal_places(currency)
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def gift_limits(currency: str) -> tuple[Decimal, Decimal]:
    """The smallest and largest online gift in ``currency``, in its units.

    The foundation's bounds from ``GIFT_CURRENCY_LIMITS``, with the minimum
    raised to Stripe's minimum charge when that is higher. A campaign's own
    currency without a row (a campaign in CHF) keeps the euro bounds' figures,
    as before currencies were offered.
    """
    from django.conf import settings

    code = currency.upper()
    minimum, maximum = settings.GIFT_CURRENCY_LIMITS.get(
        code, (settings.GIFT_MINIMUM_EUR, settings.GIFT_MAXIMUM_EUR)
    )
    return max(Decimal(minimum), minimum_charge(code)), Decimal(maximum)
