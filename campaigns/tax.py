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
    """Amount minus the reduction, rounded to the cent.

    A company's reduction follows ``company_reduction`` (its ceiling without
    knowing its turnover); an individual's 20 %-of-income ceiling depends on
    an income we never ask, so it is left to the page's note.
    """
    if kind == "company":
        return amount - company_reduction(amount)
    cost = amount * (1 - relief_rate(kind))
    return cost.quantize(CENT, rounding=ROUND_HALF_UP)


def company_ceiling(turnover_eur: Decimal | None = None) -> Decimal:
    """Gifts a company may count in a year: a fixed sum or a share of its
    turnover, whichever is larger."""
    ceiling = settings.TAX_COMPANY_CEILING_EUR
    if turnover_eur:
        share = turnover_eur * settings.TAX_COMPANY_CEILING_TURNOVER_SHARE
        ceiling = max(ceiling, share.quantize(CENT, rounding=ROUND_HALF_UP))
    return ceiling


def company_reduction(amount_eur: Decimal, turnover_eur: Decimal | None = None):
    """The company tax reduction for this gift alone, in euros.

    Only gifts up to the ceiling count this year (the rest carries over five
    years); of those, the part above the threshold earns the lower rate. As
    for the IFI, the preview treats the gift as the year's only one.
    """
    eligible = min(amount_eur, company_ceiling(turnover_eur))
    low = min(eligible, settings.TAX_COMPANY_THRESHOLD_EUR)
    high = eligible - low
    reduction = low * settings.TAX_RATE_COMPANY + high * settings.TAX_RATE_COMPANY_ABOVE
    return reduction.quantize(CENT, rounding=ROUND_HALF_UP)


def company_rules() -> dict:
    """The company rules for the donate page's script, as strings."""
    return {
        "rate": str(settings.TAX_RATE_COMPANY),
        "rate_above": str(settings.TAX_RATE_COMPANY_ABOVE),
        "threshold": str(settings.TAX_COMPANY_THRESHOLD_EUR),
        "ceiling": str(settings.TAX_COMPANY_CEILING_EUR),
        "share": str(settings.TAX_COMPANY_CEILING_TURNOVER_SHARE),
    }


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
