"""What a gift costs the donor after French tax relief (a preview, not advice)."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings


def relief_rate(kind: str) -> Decimal:
    if kind == "company":
        return settings.TAX_RATE_COMPANY
    return settings.TAX_RATE_INDIVIDUAL


def cost_after_relief(amount: Decimal, kind: str) -> Decimal:
    """Amount minus the reduction, rounded to the cent (ceilings ignored)."""
    cost = amount * (1 - relief_rate(kind))
    return cost.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
