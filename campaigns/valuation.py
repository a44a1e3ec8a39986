"""What a gift counts for in its campaign's currency (docs/currencies.md).

A campaign in euros takes gifts in every offered currency and counts each
at the euro amount stored when the gift was converted; a campaign in
another currency takes gifts in that currency only. Nothing here reads an
exchange rate: totals come from stored amounts, so a rebuild months later
gives the same cents as the live totals did.
"""

from decimal import Decimal

from django.conf import settings

from payments.models import euro_share


class CurrencyMismatch(ValueError):
    """A gift whose currency its campaign cannot count."""


def campaign_currencies(campaign_currency: str) -> list[str]:
    """The currencies a campaign in ``campaign_currency`` takes gifts in."""
    if campaign_currency == "EUR":
        return list(settings.GIFT_CURRENCIES)
    return [campaign_currency]


def gift_value(gift, currency: str, *, kept: Decimal | None = None) -> Decimal | None:
    """The part ``kept`` of a gift (its net amount by default), in ``currency``.

    ``kept`` is in the gift's own currency. None while a foreign gift has no
    euro amount yet: it then counts for nothing until it is converted.
    """
    if kept is None:
        kept = gift.net_amount.amount
    euros = gift.amount_eur.amount if gift.amount_eur is not None else None
    return amount_value(
        str(gift.amount.currency), gift.amount.amount, kept, euros, currency
    )


def amount_value(
    code: str, amount: Decimal, kept: Decimal, amount_eur: Decimal | None, currency: str
) -> Decimal | None:
    """``gift_value`` from a gift's columns, for rebuilds that read many."""
    if code == currency:
        return kept
    if currency != "EUR":
        raise CurrencyMismatch(f"a gift in {code} for a campaign in {currency}")
    if amount_eur is None:
        return None
    if kept == amount:
        return amount_eur
    return euro_share(amount, kept, amount_eur)


VALUE_COLUMNS = ("amount_currency", "amount", "refunded_amount", "amount_eur")


def rows_values(rows, currency: str):
    """(whole value, kept value) in ``currency`` of each row of VALUE_COLUMNS
    (and any columns after them); None for gifts not yet converted."""
    for code, amount, refunded, euros, *rest in rows:
        whole = amount_value(code, amount, amount, euros, currency)
        if whole is None:
            continue
        kept = amount_value(code, amount, amount - refunded, euros, currency)
        yield whole, kept, *rest


def gift_value_refunded(gift, currency: str, refunded: Decimal) -> Decimal:
    """What a refund of ``refunded`` (already on the gift) takes off its value.

    The difference between the value kept before and after it, so however a
    gift is refunded in parts, what remains counted is exactly
    ``gift_value`` of its net amount, as a rebuild computes it.
    """
    after = gift_value(gift, currency)
    if after is None:
        return Decimal("0.00")
    before = gift_value(gift, currency, kept=gift.net_amount.amount + refunded)
    return before - after
