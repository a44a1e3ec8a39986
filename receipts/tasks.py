"""Celery tasks for receipts: load by id, call a service.

Enqueueing never raises: if the broker is down the gift is already stored
as paid, and ``receipt_sweep_task`` (beat, every few minutes) finds paid
gifts without a receipt and receipts not yet emailed and queues them again.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from payments.conversion import gifts_convert_pending
from payments.models import Gift
from payments.services import gift_record_event
from receipts.annual import annual_candidates, annual_check_year, receipt_issue_annual
from receipts.models import Receipt
from receipts.services import (
    ReceiptAwaitsRate,
    ReceiptRefused,
    gift_send_thanks,
    receipt_issue_for_gift,
    receipt_send_email,
)

logger = logging.getLogger(__name__)

RETRYABLE = (OperationalError, ConnectionError, TimeoutError, OSError)


@shared_task(
    bind=True, autoretry_for=RETRYABLE, retry_backoff=5, max_retries=8, acks_late=True
)
def receipt_issue_task(self, gift_id: int) -> str | None:
    """After a gift is paid: issue its receipt, or thank the donor when the
    gift has no receipt of its own (annual summary, not taxed in France)."""
    if Gift.objects.filter(pk=gift_id).exclude(receipt_mode="per_gift").exists():
        gift_send_thanks(gift_id)
        return None
    try:
        receipt = receipt_issue_for_gift(gift_id)
    except ReceiptAwaitsRate as exc:
        # Not a person's job: once the rates are imported, the sweep
        # converts the gift and queues its receipt again.
        logger.warning("receipt waits: %s", exc, extra={"gift_id": gift_id})
        return None
    except ReceiptRefused as exc:
        # Needs a person (a missing address, an incomplete foundation block):
        # record it on the gift so staff see it, and let the sweep skip it
        # until someone asks again from the admin.
        logger.error("receipt refused: %s", exc, extra={"gift_id": gift_id})
        gift_record_event(
            Gift.objects.get(pk=gift_id), "receipt_refused", reason=str(exc)
        )
        return None
    return receipt.number if receipt else None


@shared_task(
    bind=True, autoretry_for=RETRYABLE, retry_backoff=5, max_retries=8, acks_late=True
)
def receipt_email_task(self, receipt_id: int) -> bool:
    return receipt_send_email(receipt_id)


@shared_task(
    bind=True, autoretry_for=RETRYABLE, retry_backoff=5, max_retries=8, acks_late=True
)
def receipt_cancellation_email_task(self, receipt_id: int) -> bool:
    from receipts.corrections import receipt_send_cancellation

    return receipt_send_cancellation(receipt_id)


def _safe_delay(task, object_id: int, what: str) -> bool:
    try:
        task.delay(object_id)
        return True
    except Exception:
        # The state is in the database; the sweep will queue it again.
        logger.warning("could not queue %s %s; the sweep will retry", what, object_id)
        return False


def receipt_enqueue(gift_id: int) -> bool:
    return _safe_delay(receipt_issue_task, gift_id, "receipt for gift")


def receipt_email_enqueue(receipt_id: int) -> bool:
    return _safe_delay(receipt_email_task, receipt_id, "email for receipt")


def receipt_cancellation_email_enqueue(receipt_id: int) -> bool:
    return _safe_delay(
        receipt_cancellation_email_task, receipt_id, "cancellation email for receipt"
    )


@shared_task(acks_late=True)
def annual_receipts_task(year: int | None = None) -> dict:
    """Issue last year's annual summaries (beat, in January); safe to rerun."""
    year = year or timezone.localdate().year - 1
    annual_check_year(year)
    issued, refused = 0, 0
    for candidate in annual_candidates(year):
        try:
            issued += bool(receipt_issue_annual(candidate.donor_id, year))
        except ReceiptRefused as exc:
            refused += 1
            logger.error("annual receipt refused: %s", exc)
    logger.info("annual run %s: %s issued, %s refused", year, issued, refused)
    return {"issued": issued, "refused": refused}


@shared_task
def receipts_check_task(year: int | None = None) -> list[str]:
    """Nightly: report gaps, bad numbers and altered PDFs in a year's series."""
    from receipts.integrity import receipt_series_check

    check = receipt_series_check(year or timezone.localdate().year)
    if check.problems:
        # Needs a person: the series is what a tax audit rebuilds.
        logger.error(
            "receipt series %s: %s", check.year, "; ".join(check.problems[:20])
        )
    else:
        logger.info("receipt series %s", check.summary())
    return check.problems


@shared_task
def receipt_sweep_task(min_age_seconds: int = 120) -> dict:
    """Queue again what a lost message left undone, and convert to euros
    the gifts paid while their exchange rate was missing."""
    converted = gifts_convert_pending()
    cutoff = timezone.now() - timedelta(seconds=min_age_seconds)
    gift_ids = list(
        Gift.objects.filter(
            status=Gift.Status.PAID, receipts__isnull=True, paid_at__lt=cutoff
        )
        .exclude(events__kind="receipt_refused")
        # A gift without a receipt of its own is done once its donor is thanked.
        .exclude(receipt_mode__in=["annual", "none"], thanked_at__isnull=False)
        .values_list("pk", flat=True)[:500]
    )
    receipt_ids = list(
        Receipt.objects.filter(
            status=Receipt.Status.ISSUED, emailed_at__isnull=True, issued_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )
    for gift_id in gift_ids:
        receipt_enqueue(gift_id)
    for receipt_id in receipt_ids:
        receipt_email_enqueue(receipt_id)
    if gift_ids or receipt_ids:
        logger.warning(
            "sweep queued %s receipts and %s emails again",
            len(gift_ids),
            len(receipt_ids),
        )
    if converted:
        logger.info("sweep converted %s gifts to euros", converted)
    return {
        "receipts": len(gift_ids),
        "emails": len(receipt_ids),
        "converted": converted,
    }
