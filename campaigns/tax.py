"""What a gift costs the donor after French tax relief (a preview, not advice).

Rates and ceilings are settings (docs/currencies.md lists them). Amounts are
in the gift's currency except where a ceiling in euros applies.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

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
