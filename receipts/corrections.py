"""Correcting issued receipts: cancel, replace after a partial refund, duplicate.

No French text settles how a receipt is corrected (receipts-fr.md, section 2),
so this follows the practice the rules describe: a number is never deleted,
edited or reused. A cancellation only changes the status and keeps number and
PDF; a partial refund cancels the receipt and issues a new numbered one, in
the same year series, for the amount kept; a duplicate re-renders the frozen
original with a DUPLICATA banner and takes no number.

Locks are taken in the order the issuing service takes them (gift, then the
receipt, then the year's sequence), so a correction and an issue for the same
gift queue behind each other instead of deadlocking.
"""

import dataclasses
import logging
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from payments.models import Gift
from receipts.emails import donor_email
from receipts.models import Receipt, ReceiptEvent
from receipts.pdf import render_receipt_pdf
from receipts.services import receipt_next_number, receipt_store
from receipts.snapshot import ReceiptSnapshot
from receipts.words import amount_in_words_fr

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
CENT = Decimal("0.01")


def receipt_snapshot_of(receipt: Receipt) -> ReceiptSnapshot:
    """The frozen snapshot of an issued receipt, as printed on it."""
    return ReceiptSnapshot.from_dict(receipt.snapshot)


def receipt_cancel(
    receipt_id: int, *, reason: str, actor=None, notify: bool = True
) -> Receipt:
    """Cancel a receipt, keeping its number and PDF; return it.

    Cancelling a cancelled receipt changes nothing and returns it. The donor
    is told by email (after commit) that the receipt must not be used.
    """
    reason = _clean_reason(reason)

    with transaction.atomic():
        receipt = _lock(receipt_id)
        if receipt.status == Receipt.Status.CANCELLED:
            return receipt
        _cancel(receipt, reason=reason, actor=actor)
        if notify:
            transaction.on_commit(lambda: _enqueue_cancellation_email(receipt.pk))

    logger.info(
        "receipt %s cancelled",
        receipt.number,
        extra={"receipt_id": receipt.pk, "gift_id": receipt.gift_id},
    )
    return receipt


def receipt_replace(
    receipt_id: int, *, kept_amount: Decimal, reason: str, actor=None
) -> Receipt:
    """Cancel a receipt after a partial refund and issue one for ``kept_amount``.

    The new receipt takes the next number of the original's year series, so
    the tax declaration of that year counts it instead of the old one. The
    donor is emailed the new receipt once the transaction commits. A repeated
    call for the same amount returns the replacement already made.
    """
    reason = _clean_reason(reason)
    kept = _clean_amount(kept_amount)

    with transaction.atomic():
        gift_id = Receipt.objects.values_list("gift_id", flat=True).get(pk=receipt_id)
        Gift.objects.select_for_update(of=("self",)).get(pk=gift_id)
        old = _lock(receipt_id)
        if old.status == Receipt.Status.CANCELLED:
            return _replacement_already_made(old, kept)
        if not kept < old.amount.amount:
            raise ValueError(
                f"the amount kept must be less than the receipt's "
                f"{old.amount.amount} EUR, got {kept}"
            )
        snapshot = receipt_snapshot_of(old)
        if len(snapshot.payments) != 1:
            # Which payment the refund came from is not known here; guessing
            # would print a wrong date against the amount.
            raise ValueError(
                f"receipt {old.number} covers several payments; "
                "only a one-payment receipt can be replaced"
            )

        _cancel(old, reason=reason, actor=actor)
        new = _issue_replacement(old, snapshot, kept=kept, reason=reason, actor=actor)
        ReceiptEvent.objects.create(
            receipt=old,
            kind=ReceiptEvent.Kind.REPLACED,
            actor=actor,
            data={"replaced_by": new.number, "kept_amount": str(kept)},
        )
        transaction.on_commit(lambda: _enqueue_email(new.pk))

    logger.info(
        "receipt %s replaced by %s",
        old.number,
        new.number,
        extra={"receipt_id": new.pk, "gift_id": new.gift_id},
    )
    return new


def receipt_duplicate_pdf(
    receipt_id: int, *, actor=None, on: date | None = None
) -> bytes:
    """A duplicate of an issued receipt: same number, marked DUPLICATA.

    Rendered from the frozen snapshot, so it shows what the original showed.
    It takes no number and never counts in the tax declaration.
    """
    receipt = Receipt.objects.get(pk=receipt_id)
    if receipt.status == Receipt.Status.CANCELLED:
        # A fresh copy of a cancelled receipt would certify a gift that is
        # no longer receipted; the original PDF stays available to staff.
        raise ValueError(f"receipt {receipt.number} is cancelled: no duplicate")
    on = on or timezone.localdate(timezone=PARIS)

    pdf_bytes = render_receipt_pdf(receipt_snapshot_of(receipt), duplicate_of=on)

    ReceiptEvent.objects.create(
        receipt=receipt,
        kind=ReceiptEvent.Kind.DUPLICATED,
        actor=actor,
        data={"duplicate_of": on.isoformat()},
    )
    logger.info(
        "receipt %s duplicated",
        receipt.number,
        extra={"receipt_id": receipt.pk, "gift_id": receipt.gift_id},
    )
    return pdf_bytes


def _enqueue_email(receipt_id: int) -> None:
    # Imported late: the tasks module imports payments.services, which the
    # refund handling in payments will want to call this module from.
    from receipts.tasks import receipt_email_enqueue

    receipt_email_enqueue(receipt_id)


def _clean_reason(reason) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("a reason is required to correct a receipt")
    return reason.strip()


def _clean_amount(amount) -> Decimal:
    # A float would already have lost cents: refuse it, as the snapshot does.
    if not isinstance(amount, Decimal):
        raise TypeError(f"the amount kept must be a Decimal, not {type(amount)}")
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"the amount kept must be more than 0, got {amount}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"the amount kept has more than 2 decimals: {amount}")
    return amount.quantize(CENT)


def _lock(receipt_id: int) -> Receipt:
    return Receipt.objects.select_for_update(of=("self",)).get(pk=receipt_id)


def _enqueue_cancellation_email(receipt_id: int) -> None:
    from receipts.tasks import receipt_cancellation_email_enqueue

    receipt_cancellation_email_enqueue(receipt_id)


def receipt_send_cancellation(receipt_id: int) -> bool:
    """Tell the donor a receipt is cancelled; once (True if sent now)."""
    with transaction.atomic():
        receipt = (
            Receipt.objects.select_for_update(of=("self",))
            .select_related("donor")
            .get(pk=receipt_id)
        )
        done = receipt.events.filter(kind=ReceiptEvent.Kind.CANCELLATION_EMAILED)
        if receipt.status != Receipt.Status.CANCELLED or done.exists():
            return False
        donor = receipt.donor
        donor_email("cancelled", donor, {"receipt": receipt}).send()
        ReceiptEvent.objects.create(
            receipt=receipt, kind=ReceiptEvent.Kind.CANCELLATION_EMAILED
        )
    logger.info(
        "cancellation of receipt %s emailed",
        receipt.number,
        extra={"receipt_id": receipt.pk},
    )
    return True


def _cancel(receipt: Receipt, *, reason: str, actor) -> None:
    receipt.status = Receipt.Status.CANCELLED
    receipt.cancelled_at = timezone.now()
    receipt.cancel_reason = reason
    receipt.cancelled_by = actor
    receipt.save(
        update_fields=["status", "cancelled_at", "cancel_reason", "cancelled_by"]
    )
    # The gifts of a cancelled annual summary may go on the next one.
    receipt.lines.update(active=False)
    ReceiptEvent.objects.create(
        receipt=receipt,
        kind=ReceiptEvent.Kind.CANCELLED,
        actor=actor,
        data={"reason": reason},
    )


def _replacement_already_made(old: Receipt, kept: Decimal) -> Receipt:
    # The lock was waited for while another call replaced this receipt: the
    # same request is answered with its result, any other one is refused.
    new = old.replaced_by.first()
    if new is not None and new.amount.amount == kept:
        return new
    raise ValueError(f"receipt {old.number} is cancelled and cannot be replaced")


def _issue_replacement(
    old: Receipt, snapshot: ReceiptSnapshot, *, kept: Decimal, reason: str, actor
) -> Receipt:
    sequence_number, number = receipt_next_number(old.year)
    issued_at = timezone.now()
    changes = {
        "number": number,
        "issued_on": timezone.localtime(issued_at, PARIS).date(),
        "payments": (dataclasses.replace(snapshot.payments[0], amount=kept),),
        "total": kept,
        "words": amount_in_words_fr(kept),
    }
    changes["replaces_number"] = old.number
    new_snapshot = dataclasses.replace(snapshot, **changes)
    return receipt_store(
        new_snapshot,
        year=old.year,
        sequence_number=sequence_number,
        donor_id=old.donor_id,
        gift_id=old.gift_id,
        amount=Money(kept, old.amount.currency),
        issued_at=issued_at,
        replaces=old,
        actor=actor,
        event_data={"replaces": old.number, "reason": reason},
    )


def receipt_after_refund(gift, *, reason: str, actor=None) -> None:
    """Correct what a refund on ``gift`` makes wrong in its receipts.

    Called inside the refund's transaction, with the gift locked and its
    refunded amount updated. Its own receipt is cancelled (full refund) or
    replaced for the amount kept; an annual summary carrying it is
    cancelled, to be issued again by the next annual run. A correction that
    cannot be made is recorded on the gift for a person, without undoing the
    refund.
    """
    from payments.services import gift_record_event

    own = Receipt.objects.filter(gift=gift, status=Receipt.Status.ISSUED).first()
    summary = Receipt.objects.filter(
        lines__gift=gift, lines__active=True, status=Receipt.Status.ISSUED
    ).first()
    try:
        with transaction.atomic():
            if own is not None and gift.net_amount.amount == 0:
                receipt_cancel(own.pk, reason=reason, actor=actor)
            elif own is not None:
                receipt_replace(
                    own.pk,
                    kept_amount=gift.receipt_amount.amount,
                    reason=reason,
                    actor=actor,
                )
            if summary is not None:
                receipt_cancel(
                    summary.pk,
                    reason=f"gift #{gift.pk} refunded ({reason}); to issue again",
                    actor=actor,
                )
    except ValueError as exc:  # ReceiptRefused included
        logger.error(
            "gift %s refunded but its receipt needs a person: %s",
            gift.pk,
            exc,
            extra={"gift_id": gift.pk},
        )
        gift_record_event(gift, "receipt_correction_needed", reason=str(exc))
