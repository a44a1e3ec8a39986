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
from payments.refunds import gift_apply_dispute, gift_sync_refunds_from_stripe
from payments.services import gift_apply_intent

logger = logging.getLogger(__name__)


class RetryLater(Exception):
    """Stripe should deliver this event again (answered with a 5xx)."""


def _gift_for_intent(obj) -> Gift | None:
    metadata = obj.get("metadata")
    gift_id = metadata.get("gift_id") if isinstance(metadata, dict) else None
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
    except gateway.GatewayNotFound:
        # Stripe does not know it: a forged or foreign event, never to retry.
        logger.warning(
            "stripe event %s: intent unknown to Stripe", event_row.stripe_event_id
        )
        return StripeEvent.Status.IGNORED
    except gateway.GatewayUnavailable as exc:
        raise RetryLater(str(exc)) from exc
    gift_apply_intent(gift.pk, intent, source=f"webhook:{event_row.type}")
    return StripeEvent.Status.PROCESSED


def _gift_for_charge(charge_id: str, payment_intent_id: str) -> Gift | None:
    gift = None
    if charge_id:
        gift = Gift.objects.filter(stripe_charge_id=charge_id).first()
    if gift is None and payment_intent_id:
        gift = Gift.objects.filter(stripe_payment_intent_id=payment_intent_id).first()
    return gift


def _handle_charge_refunded(event_row: StripeEvent, obj) -> str:
    gift = _gift_for_charge(obj.get("id", ""), _object_id(obj.get("payment_intent")))
    if gift is None:
        logger.warning("stripe event %s: no gift for charge", event_row.stripe_event_id)
        return StripeEvent.Status.IGNORED
    if not gift.stripe_charge_id:
        Gift.objects.filter(pk=gift.pk).update(stripe_charge_id=obj.get("id", ""))
    try:
        gift_sync_refunds_from_stripe(gift.pk)
    except gateway.GatewayNotFound:
        logger.warning(
            "stripe event %s: charge unknown to Stripe", event_row.stripe_event_id
        )
        return StripeEvent.Status.IGNORED
    except gateway.GatewayUnavailable as exc:
        raise RetryLater(str(exc)) from exc
    return StripeEvent.Status.PROCESSED


def _handle_dispute(event_row: StripeEvent, obj) -> str:
    gift = _gift_for_charge(
        _object_id(obj.get("charge")), _object_id(obj.get("payment_intent"))
    )
    if gift is None:
        logger.warning(
            "stripe event %s: no gift for dispute", event_row.stripe_event_id
        )
        return StripeEvent.Status.IGNORED
    if event_row.type == "charge.dispute.created":
        status = "created"
    else:
        status = "lost" if obj.get("status") == "lost" else "won"
    gift_apply_dispute(
        gift.pk,
        stripe_dispute_id=obj.get("id", ""),
        status=status,
        amount_minor=int(obj.get("amount") or 0),
        currency=str(obj.get("currency") or gift.amount.currency).upper(),
    )
    return StripeEvent.Status.PROCESSED


def _object_id(value) -> str:
    if isinstance(value, dict):
        return value.get("id", "")
    return value or ""


HANDLERS = {
    "charge.refunded": _handle_charge_refunded,
    "charge.dispute.created": _handle_dispute,
    "charge.dispute.closed": _handle_dispute,
    "payment_intent.succeeded": _handle_payment_intent,
    "payment_intent.payment_failed": _handle_payment_intent,
    "payment_intent.canceled": _handle_payment_intent,
    # A SEPA debit sent to the bank: nothing changes until it answers, but
    # the event is recorded as handled rather than unknown.
    "payment_intent.processing": _handle_payment_intent,
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
