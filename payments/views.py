import logging

import stripe
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import gateway
from payments.webhooks import RetryLater, webhook_receive

logger = logging.getLogger(__name__)

# Stripe sends events of a few kilobytes; anything far larger is not one.
MAX_WEBHOOK_BYTES = 512 * 1024


@csrf_exempt
@require_POST
def stripe_webhook(request):
    payload = request.body
    if len(payload) > MAX_WEBHOOK_BYTES:
        return JsonResponse({"error": "payload too large"}, status=413)
    signature = request.headers.get("Stripe-Signature", "")
    try:
        event = gateway.construct_event(payload, signature)
    except ValueError:
        logger.warning("stripe webhook: body is not a valid event")
        return JsonResponse({"error": "invalid payload"}, status=400)
    except stripe.SignatureVerificationError:
        logger.warning("stripe webhook: bad or stale signature")
        return JsonResponse({"error": "invalid signature"}, status=400)

    if not _well_formed(event):
        logger.warning("stripe webhook: event without the expected fields")
        return JsonResponse({"error": "malformed event"}, status=400)
    try:
        row, first = webhook_receive(event)
    except RetryLater:
        return JsonResponse({"error": "temporarily unavailable"}, status=503)
    return JsonResponse({"status": row.status, "duplicate": not first})


def _is_stripe_id(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 255 and value.isprintable()


def _well_formed(event: dict) -> bool:
    """An event with an id, a type and an object with an id, all plain text."""
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    return (
        _is_stripe_id(event.get("id"))
        and _is_stripe_id(event.get("type"))
        and isinstance(obj, dict)
        and _is_stripe_id(obj.get("id"))
    )
