"""Converting a gift in another currency to euros, once (docs/currencies.md).

A card gift is converted when it is paid, with the ECB rate of its Paris
day or, before that day's rate is out, the last one published. The rate and
the euro amount are stored on the gift and never computed again: receipts,
exports and campaign totals all read them. A gift paid while no rate exists
stays paid; the receipt sweep converts it later and adds its value to the
campaign then, so no gift is ever lost for want of a rate.
"""

import logging

from django.db import transaction

from campaigns.services import campaign_record_converted_gift
from fx.rates import MissingRate, to_eur
from payments.models import Gift, GiftEvent

logger = logging.getLogger(__name__)

COUNTED = (Gift.Status.PAID, Gift.Status.REFUNDED)


def gift_needs_conversion(gift: Gift) -> bool:
    return str(gift.amount.currency) != "EUR" and gift.amount_eur is None


def gift_convert_to_eur(gift: Gift) -> str:
    """Store the euro amount and rate of a locked gift; '' or what is missing.

    Card and other gifts without a received date take the last rate known
    on their day; a gift dated by the day staff received it waits for that
    day's own rate (``fx.rates.rate_on``).
    """
    if not gift_needs_conversion(gift):
        return ""
    day = gift.tax_date
    try:
        amount_eur, rate = to_eur(
            gift.amount, day, latest_known=gift.received_on is None
        )
    except MissingRate as exc:
        logger.error(
            "gift %s not converted to euros: %s",
            gift.pk,
            exc,
            extra={"gift_id": gift.pk, "day": str(day)},
        )
        GiftEvent.objects.create(
            gift=gift, kind="conversion_missing", data={"reason": str(exc)}
        )
        return str(exc)

    gift.amount_eur, gift.fx_rate = amount_eur, rate
    gift.save(
        update_fields=["amount_eur", "amount_eur_currency", "fx_rate", "updated_at"]
    )
    GiftEvent.objects.create(
        gift=gift,
        kind="converted",
        data={"rate": str(rate), "day": day.isoformat(), "eur": str(amount_eur.amount)},
    )
    logger.info(
        "gift %s converted at %s %s per euro",
        gift.pk,
        rate,
        gift.amount.currency,
        extra={"gift_id": gift.pk},
    )
    return ""


def gift_convert_late(gift: Gift) -> str:
    """Convert a locked gift that was paid without a rate, and count its value.

    The gift already counts in its campaign (``campaign_record_paid_gift``
    added it with no value), so its value joins the totals here, in the
    same transaction. '' or what is still missing.
    """
    if not gift_needs_conversion(gift):
        return ""
    problem = gift_convert_to_eur(gift)
    if not problem and gift.status in COUNTED and gift.paid_at is not None:
        campaign_record_converted_gift(gift=gift)
    return problem


def gifts_convert_pending(limit: int = 500) -> int:
    """Convert the paid gifts still without a euro amount; return how many."""
    pending = list(
        Gift.objects.filter(status__in=COUNTED, amount_eur__isnull=True)
        .exclude(amount_currency="EUR")
        .values_list("pk", flat=True)[:limit]
    )
    converted = 0
    for gift_id in pending:
        with transaction.atomic():
            gift = Gift.objects.select_for_update().get(pk=gift_id)
            if gift_needs_conversion(gift) and not gift_convert_late(gift):
                converted += 1
    return converted
