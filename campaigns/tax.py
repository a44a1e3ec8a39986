"""What a gift costs the donor after French tax relief (a preview, not advice).

Rates and ceilings are settings (docs/currencies.md lists them). Amounts are
in the gift's currency except where a ceiling in euros applies.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import timezone
from djmoney.money import Money

from campaigns.templatetags.money import money_short
from fx.rates import MissingRate, rate_on
from payments.currency import quantize

CENT = Decimal("0.01")


def relief_rate(kind: str) -> Decimal:
    if kind == "company":
        return settings.TAX_RATE_COMPANY
    return settings.TAX_RATE_INDIVIDUAL


def cost_after_relief(amount: Decimal, kind: str) -> Decimal:
    """Amount minus the reduction, rounded to the cent (ceilings ignored)."""
    cost = amount * (1 - relief_rate(kind))
    return cost.quantize(CENT, rounding=ROUND_HALF_UP)


def ifi_offered() -> bool:
    """Whether the foundation lets individuals use gifts against the IFI."""
    return settings.TAX_IFI_ENABLED


def ifi_reduction(amount_eur: Decimal) -> Decimal:
    """The IFI reduction for a gift of ``amount_eur``: a share, capped.

    The cap is per year and for all of a donor's gifts; the preview
    applies it to this gift alone, as if it were the year's only one.
    """
    reduction = (amount_eur * settings.TAX_IFI_RATE).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    return min(reduction, settings.TAX_IFI_CAP_EUR)


def cost_after_ifi(amount_eur: Decimal) -> Decimal:
    return amount_eur - ifi_reduction(amount_eur)


def ifi_preview(currencies: list[str]) -> dict:
    """The IFI rate for the page's script, and its cap in each currency.

    Caps in other currencies use the latest ECB rate: a preview only, since
    a gift's euro amount is fixed when it is paid. A currency without a
    recent rate gets no cap, and the page then shows no IFI figure for it.
    """
    caps = {"EUR": str(settings.TAX_IFI_CAP_EUR)}
    for code in currencies:
        if code == "EUR":
            continue
        try:
            rate = rate_on(code, timezone.localdate(), latest_known=True)
        except MissingRate:
            continue
        caps[code] = str(quantize(settings.TAX_IFI_CAP_EUR * rate, code))
    return {"rate": str(settings.TAX_IFI_RATE), "caps": caps}


def ifi_wording() -> dict:
    """The IFI rate and cap as the page's sentence prints them."""
    percent = (settings.TAX_IFI_RATE * 100).normalize()
    return {
        "ifi_percent": f"{percent:f}",
        "ifi_cap": money_short(Money(settings.TAX_IFI_CAP_EUR, "EUR")),
    }
