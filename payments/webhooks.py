"""Stripe webhook protocol: store each event once, then act on it.

The payload is only a trigger. For payment intents the handler re-reads the
intent from Stripe, so that an old event arriving after a newer one applies
the newest state, not the one it carried.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from payments import gateway
from payments.models import Gift, StripeEvent
from payments.services import gift_apply_intent

logger = logging.getLogger(__name__)


class RetryLater(Exception):
    """Stripe should deliver this event again (answered with a 5xx)."""


def _gift_for_intent(obj) -> Gift | None:
    metadata = obj.get("metadata") or {}
    gift_id = metadata.get("gift_id")
    if gift_id and str(gift_id).isdigit():
        gift = Gift.objects.filter(pk=int(gift_id)).first()
        if gift is not None:
            return gift
    return Gift.objects.filter(stripe_payment_intent_id=obj.get("id", "")).first()


def _handle_payment_intent(event_row: StripeEvent, obj) -> str:
    gift = _gift_for_intent(obj)
    if gift is None:
        logger.warning(
            "stripe event %s: no gift for intent %s",
            event_row.stripe_event_id,
            event_row.stripe_object_id,
        )
        return StripeEvent.Status.IGNORED
    try:
        intent = gateway.payment_intent_retrieve(obj["id"])
    except gateway.GatewayUnavailable as exc:
        raise RetryLater(str(exc)) from exc
    gift_apply_intent(gift.pk, intent, source=f"webhook:{event_row.type}")
    return StripeEvent.Status.PROCESSED


HANDLERS = {
    "payment_intent.succeeded": _handle_payment_intent,
    "payment_intent.payment_failed": _handle_payment_intent,
    "payment_intent.canceled": _handle_payment_intent,
}


def webhook_receive(event) -> tuple[StripeEvent, bool]:
    """Store a verified event under its unique id and run its handler.

    Returns the stored row and whether this call was the first delivery.
    A concurrent copy of the same event waits on the row lock and, finding
    it handled, does nothing.
    """
    obj = event["data"]["object"]
    object_id = obj.get("id", "") if hasattr(obj, "get") else ""
    handler = HANDLERS.get(event["type"])

    try:
        with transaction.atomic():
            row = StripeEvent.objects.create(
                stripe_event_id=event["id"],
                type=event["type"],
                stripe_object_id=object_id,
                status=StripeEvent.Status.RECEIVED,
            )
    except IntegrityError:
        row = StripeEvent.objects.get(stripe_event_id=event["id"])

    try:
        with transaction.atomic():
            row = StripeEvent.objects.select_for_update().get(pk=row.pk)
            if row.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED):
                return row, False
            row.status = (
                StripeEvent.Status.IGNORED if handler is None else handler(row, obj)
            )
            row.processed_at = timezone.now()
            row.handler_error = ""
            row.save(update_fields=["status", "processed_at", "handler_error"])
    except Exception as exc:
        # Kept FAILED with the error for staff to see; the 5xx answer makes
        # Stripe deliver the event again, and the next delivery retries it.
        logger.exception("stripe event %s (%s) failed", row.stripe_event_id, row.type)
        StripeEvent.objects.filter(pk=row.pk).update(
            status=StripeEvent.Status.FAILED, handler_error=repr(exc)[:2000]
        )
        raise RetryLater(str(exc)) from exc

    logger.info(
        "stripe event %s (%s) %s",
        row.stripe_event_id,
        row.type,
        row.status,
        extra={"stripe_event_id": row.stripe_event_id},
    )
    return row, True
