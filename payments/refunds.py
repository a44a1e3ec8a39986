"""Refunds: money given back on a paid gift, and what follows from it.

Stripe is called first, with an idempotency key built from the gift and
what it had refunded before; the database follows in one transaction. If
that transaction fails, the next attempt gets the same Stripe refund back
instead of a second one, and a ``charge.refunded`` webhook that arrives in
between is applied by difference, so no refund is ever counted twice.
"""

import logging
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from djmoney.money import Money

from campaigns.services import campaign_record_refund
from payments import gateway
from payments.currency import quantize, to_minor_units
from payments.models import Gift, Refund
from payments.services import gift_record_event

logger = logging.getLogger(__name__)


class RefundRefused(ValueError):
    """The refund asked for is not possible; the message says why."""


def gift_refund(
    gift_id: int,
    *,
    amount: Decimal | None,
    reason: str,
    actor=None,
    request_id: str = "",
) -> Refund:
    """Refund ``amount`` (everything left when None) of a paid gift.

    ``request_id`` identifies one refund request (the form's one-time id):
    sent again, it returns the refund already made instead of a second one,
    and it keys the Stripe call so a retry after no answer replays it. A
    gift not paid through Stripe is refunded by bank, and recorded here.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RefundRefused(_("A reason is required."))
    if amount is not None and not isinstance(amount, Decimal):
        raise TypeError("refund amounts must be Decimal")

    with transaction.atomic():
        gift = Gift.objects.select_for_update().get(pk=gift_id)
        if request_id:
            already = Refund.objects.filter(request_id=request_id).first()
            if already is not None:
                return already
        if gift.status != Gift.Status.PAID:
            raise RefundRefused(
                _("Gift #%(id)s is %(status)s; only paid gifts are refunded.")
                % {"id": gift.pk, "status": gift.get_status_display()}
            )
        remaining = gift.net_amount
        money = remaining if amount is None else Money(amount, gift.amount.currency)
        if money.amount != quantize(money.amount, str(money.currency)):
            raise RefundRefused(
                _("%(amount)s has too many decimals for %(currency)s.")
                % {"amount": amount, "currency": money.currency}
            )
        if money.amount <= 0:
            raise RefundRefused(_("The refund must be more than zero."))
        if money > remaining:
            raise RefundRefused(
                _("Only %(left)s is left to refund on gift #%(id)s.")
                % {"left": remaining, "id": gift.pk}
            )
        if not gift.stripe_payment_intent_id:
            # Paid by cheque or transfer: the money goes back by bank; this
            # records it so totals and the receipt follow.
            refund = _record(
                gift, money, source=Refund.Source.MANUAL, reason=reason, actor=actor,
                stripe_refund_id="", request_id=request_id,
            )  # fmt: skip
        else:
            key = (
                f"refund:{request_id}"
                if request_id
                else f"gift:{gift.pk}:refund:{to_minor_units(gift.refunded_amount)}:"
                f"{to_minor_units(money)}"
            )
            stripe_refund_id, _status = gateway.refund_create(
                payment_intent_id=gift.stripe_payment_intent_id,
                amount=money,
                reason=reason,
                key=key,
            )
            refund = Refund.objects.filter(stripe_refund_id=stripe_refund_id).first()
            if refund is not None:
                return refund  # a retry: Stripe answered with the refund we recorded
            refund = _record(
                gift, money, source=Refund.Source.STAFF, reason=reason, actor=actor,
                stripe_refund_id=stripe_refund_id, request_id=request_id,
            )  # fmt: skip
    logger.info(
        "gift %s refunded %s by user %s",
        gift.pk,
        money,
        getattr(actor, "pk", None),
        extra={"gift_id": gift.pk},
    )
    return refund


def gift_sync_refunds_from_stripe(gift_id: int) -> Refund | None:
    """Apply refunds made outside Mécène (Stripe's dashboard) to a gift.

    Re-reads the charge and records the difference between what Stripe has
    refunded and what we know, if any.
    """
    with transaction.atomic():
        gift = Gift.objects.select_for_update().get(pk=gift_id)
        if not gift.stripe_charge_id:
            return None
        refunded_minor, currency, _pi = gateway.charge_refunded_minor(
            gift.stripe_charge_id
        )
        known_minor = to_minor_units(gift.refunded_amount)
        if refunded_minor <= known_minor or gift.status not in (
            Gift.Status.PAID,
            Gift.Status.REFUNDED,
        ):
            return None
        from payments.currency import from_minor_units

        difference = from_minor_units(refunded_minor - known_minor, currency)
        refund = _record(
            gift, difference, source=Refund.Source.STRIPE,
            reason="refunded in the Stripe dashboard", actor=None, stripe_refund_id="",
        )  # fmt: skip
    logger.warning(
        "gift %s: refund of %s made outside Mécène recorded",
        gift.pk,
        difference,
        extra={"gift_id": gift.pk},
    )
    return refund


def gift_apply_dispute(
    gift_id: int,
    *,
    stripe_dispute_id: str,
    status: str,
    amount_minor: int,
    currency: str,
) -> None:
    """Record a card dispute on a gift; a lost one takes the money back.

    A dispute the foundation loses is counted like a refund (the bank took
    the money back), so totals and the receipt follow; one it wins only
    leaves a trace. Each dispute is applied once, by its id.
    """
    from payments.currency import from_minor_units

    with transaction.atomic():
        gift = Gift.objects.select_for_update().get(pk=gift_id)
        already = gift.events.filter(
            kind=f"dispute_{status}", data__dispute=stripe_dispute_id
        )
        if already.exists():
            return
        gift_record_event(gift, f"dispute_{status}", dispute=stripe_dispute_id)
        if status == "lost" and gift.status == Gift.Status.PAID:
            money = min(from_minor_units(amount_minor, currency), gift.net_amount)
            _record(
                gift, money, source=Refund.Source.DISPUTE, reason="card dispute lost",
                actor=None, stripe_refund_id="",
            )  # fmt: skip
    level = logging.ERROR if status in ("created", "lost") else logging.INFO
    logger.log(
        level,
        "gift %s: dispute %s %s",
        gift_id,
        stripe_dispute_id,
        status,
        extra={"gift_id": gift_id},
    )


def _record(
    gift, money, *, source, reason, actor, stripe_refund_id, request_id=""
) -> Refund:
    """Count a refund on a locked gift, its campaign and its receipt."""
    refund = Refund.objects.create(
        gift=gift,
        amount=money,
        reason=reason,
        source=source,
        actor=actor,
        stripe_refund_id=stripe_refund_id,
        request_id=request_id,
    )
    gift.refunded_amount += money
    fully = gift.net_amount.amount == 0
    if fully:
        gift.status = Gift.Status.REFUNDED
    gift.save(update_fields=["refunded_amount", "status", "updated_at"])
    campaign_record_refund(gift=gift, amount=money, fully=fully)
    gift_record_event(
        gift,
        "refunded",
        actor=actor,
        amount=str(money.amount),
        source=source,
        full=fully,
    )

    from receipts.corrections import receipt_after_refund

    receipt_after_refund(gift, reason=reason, actor=actor)
    return refund
