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

    try:
        if not isinstance(event.get("id"), str) or "data" not in event:
            raise KeyError("id")
        row, first = webhook_receive(event)
    except RetryLater:
        return JsonResponse({"error": "temporarily unavailable"}, status=503)
    except (KeyError, TypeError, AttributeError):
        logger.warning("stripe webhook: event without the expected fields")
        return JsonResponse({"error": "malformed event"}, status=400)
    return JsonResponse({"status": row.status, "duplicate": not first})
