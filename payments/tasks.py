"""Celery tasks for monthly gifts: the daily charge run and donor notices.

Enqueueing never raises: a notice is a database row first, and the sweep
queues again what a lost message left unsent.
"""

import logging
from datetime import date

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from payments.recurring import recurring_charge_due
from payments.recurring_notices import recurring_send_notice, unsent_notice_ids

logger = logging.getLogger(__name__)

RETRYABLE = (OperationalError, ConnectionError, TimeoutError, OSError)


@shared_task(acks_late=True)
def charge_recurring_gifts_task(day: str | None = None) -> dict:
    """Beat, daily: charge the monthly gifts due today (or on ``day``)."""
    run = recurring_charge_due(date.fromisoformat(day) if day else timezone.localdate())
    return {"due": run.due, **run.outcomes}


@shared_task(
    bind=True, autoretry_for=RETRYABLE, retry_backoff=5, max_retries=8, acks_late=True
)
def recurring_notice_task(self, notice_id: int) -> bool:
    return recurring_send_notice(notice_id)


def recurring_notice_enqueue(notice_id: int) -> bool:
    try:
        recurring_notice_task.delay(notice_id)
        return True
    except Exception:
        logger.warning("could not queue monthly notice %s; the sweep will", notice_id)
        return False


@shared_task
def recurring_notice_sweep_task(min_age_seconds: int = 120) -> int:
    ids = unsent_notice_ids(min_age_seconds)
    for notice_id in ids:
        recurring_notice_enqueue(notice_id)
    if ids:
        logger.warning("sweep queued %s monthly notices again", len(ids))
    return len(ids)


@shared_task(
    bind=True, autoretry_for=RETRYABLE, retry_backoff=5, max_retries=8, acks_late=True
)
def gift_failure_email_task(self, gift_id: int) -> bool:
    from payments.services import gift_send_failure_email

    return gift_send_failure_email(gift_id)


def gift_failure_email_enqueue(gift_id: int) -> bool:
    try:
        gift_failure_email_task.delay(gift_id)
        return True
    except Exception:
        logger.warning("could not queue the failure email of gift %s", gift_id)
        return False
