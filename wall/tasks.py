"""Celery tasks for dedication cards: load by id, call a service.

Queueing never raises: if the broker is down, ``dedication_card_sweep_task``
(beat) finds the cards of paid gifts still unsent and queues them again.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from payments.models import Gift
from receipts.tasks import RETRYABLE
from wall.models import Dedication
from wall.services import dedication_send_card

logger = logging.getLogger(__name__)


@shared_task(
    bind=True, autoretry_for=RETRYABLE, retry_backoff=5, max_retries=8, acks_late=True
)
def dedication_card_task(self, gift_id: int) -> bool:
    return dedication_send_card(gift_id)


def _cards_to_send():
    return Dedication.objects.filter(
        card_sent_at__isnull=True, gift__status=Gift.Status.PAID
    ).exclude(recipient_email="")


def dedication_card_enqueue(gift_id: int) -> bool:
    """Queue the gift's card if it has one still to send; never raises."""
    try:
        if not _cards_to_send().filter(gift_id=gift_id).exists():
            return False
        dedication_card_task.delay(gift_id)
        return True
    except Exception:
        # Runs after the payment's commit: the database or the broker failing
        # here must not fail the donor's request.
        logger.warning(
            "could not queue the card of gift %s; the sweep will retry",
            gift_id,
            extra={"gift_id": gift_id},
        )
        return False


@shared_task
def dedication_card_sweep_task(min_age_seconds: int = 120) -> int:
    """Queue again the cards a lost message left unsent."""
    cutoff = timezone.now() - timedelta(seconds=min_age_seconds)
    gift_ids = list(
        _cards_to_send()
        .filter(gift__paid_at__lt=cutoff)
        .values_list("gift_id", flat=True)[:500]
    )
    for gift_id in gift_ids:
        dedication_card_enqueue(gift_id)
    if gift_ids:
        logger.warning("sweep queued %s dedication cards again", len(gift_ids))
    return len(gift_ids)
