"""State changes of gifts: create, charge through Stripe, mark paid or failed.

Every transition locks the gift row, re-reads its state and does nothing if
another request or webhook got there first, so a gift is paid once however
many times Stripe tells us about it.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.services import campaign_record_paid_gift
from donors.services import donor_apply_details, donor_get_or_create
from payments import gateway, throttle
from payments.currency import to_minor_units
from payments.models import Gift, GiftEvent

logger = logging.getLogger(__name__)


class GiftStateError(Exception):
    """The gift is not in a state that allows this step."""


@dataclass(frozen=True)
class ChargeOutcome:
    """What the donor's browser must do next."""

    status: str  # "paid", "requires_action", "processing", "declined"
    client_secret: str = ""
    message: str = ""


def gift_record_event(gift: Gift, kind: str, *, actor=None, **data) -> GiftEvent:
    return GiftEvent.objects.create(gift=gift, kind=kind, actor=actor, data=data)


def gift_receipt_mode(donor, details: dict | None = None) -> str:
    """How a new gift is receipted (see Gift.receipt_mode).

    The answers given with the gift win over what the donor answered before.
    """
    details = details or {}
    taxed = details.get("taxed_in_france", donor.taxed_in_france)
    if not taxed and not settings.RECEIPTS_FOR_NON_RESIDENTS:
        return "none"
    return details.get("receipt_preference", donor.receipt_preference)


def gift_create(
    *,
    campaign,
    donor_details: dict,
    amount,
    beneficiary=None,
    anonymous=False,
    language="fr",
) -> Gift:
    """Record a pending online gift and its donor; nothing is charged yet."""
    with transaction.atomic():
        details = {key: value for key, value in donor_details.items() if key != "email"}
        donor = donor_get_or_create(**donor_details)
        gift = Gift.objects.create(
            donor=donor,
            campaign=campaign,
            beneficiary=beneficiary,
            amount=amount,
            anonymous=anonymous,
            language=language,
            method=Gift.Method.CARD,
            receipt_mode=gift_receipt_mode(donor, details),
            donor_details=details,
        )
        gift_record_event(gift, "created", amount=str(amount.amount))
    logger.info(
        "gift %s created for campaign %s (%s)",
        gift.pk,
        campaign.pk,
        amount,
        extra={"gift_id": gift.pk},
    )
    return gift


def gift_prepare_payment(gift: Gift) -> str:
    """Create the Stripe customer and SetupIntent; return its client secret.

    Idempotency keys come from the gift id, so a retried request reuses the
    same Stripe objects. Another card after a decline is another gift (the
    donate page submits anew), so one SetupIntent per gift is enough.
    """
    with transaction.atomic():
        gift = Gift.objects.select_for_update().select_related("donor").get(pk=gift.pk)
        if gift.status not in (Gift.Status.PENDING, Gift.Status.FAILED):
            raise GiftStateError(f"gift {gift.pk} is {gift.status}")
        if not gift.stripe_customer_id:
            gift.stripe_customer_id = gateway.customer_create(
                name=gift.donor.display_name,
                email=gift.donor.email,
                gift_id=gift.pk,
                key=f"gift:{gift.pk}:customer",
            )
        intent = gateway.setup_intent_create(
            customer_id=gift.stripe_customer_id,
            gift_id=gift.pk,
            key=f"gift:{gift.pk}:setup",
        )
        gift.stripe_setup_intent_id = intent.id
        gift.save(
            update_fields=["stripe_customer_id", "stripe_setup_intent_id", "updated_at"]
        )
    return intent.client_secret


def gift_charge(gift: Gift, *, setup_intent_id: str) -> ChargeOutcome:
    """Charge the gift with the payment method its SetupIntent confirmed.

    Runs with the gift row locked, so two clicks or two tabs cannot create
    two PaymentIntents; the idempotency key (gift and payment method) makes a
    retry after a lost answer return the same PaymentIntent.
    """
    with transaction.atomic():
        gift = Gift.objects.select_for_update().get(pk=gift.pk)
        if gift.status == Gift.Status.PAID:
            return ChargeOutcome("paid")
        if gift.status not in (Gift.Status.PENDING, Gift.Status.FAILED):
            raise GiftStateError(f"gift {gift.pk} is {gift.status}")
        if setup_intent_id != gift.stripe_setup_intent_id:
            raise GiftStateError(f"setup intent does not belong to gift {gift.pk}")

        setup = gateway.setup_intent_retrieve(setup_intent_id)
        if setup.status != "succeeded" or not setup.payment_method_id:
            raise GiftStateError(f"setup intent of gift {gift.pk} is {setup.status}")
        gateway.payment_method_attach(
            payment_method_id=setup.payment_method_id,
            customer_id=gift.stripe_customer_id,
        )
        gift.stripe_payment_method_id = setup.payment_method_id
        try:
            intent = gateway.payment_intent_charge(
                amount=gift.amount,
                customer_id=gift.stripe_customer_id,
                payment_method_id=setup.payment_method_id,
                metadata={
                    "gift_id": str(gift.pk),
                    "campaign_id": str(gift.campaign_id),
                },
                key=f"gift:{gift.pk}:charge:{setup.payment_method_id}",
            )
        except gateway.PaymentDeclined as exc:
            gift.status = Gift.Status.FAILED
            gift.failure_code = exc.code or "card_declined"
            gift.save(
                update_fields=[
                    "status",
                    "failure_code",
                    "stripe_payment_method_id",
                    "updated_at",
                ]
            )
            gift_record_event(gift, "declined", code=gift.failure_code)
            throttle.record_decline()
            logger.info(
                "gift %s declined (%s)",
                gift.pk,
                gift.failure_code,
                extra={"gift_id": gift.pk},
            )
            return ChargeOutcome("declined", message=str(exc))

        gift.stripe_payment_intent_id = intent.id
        gift.status = Gift.Status.PENDING
        gift.failure_code = ""
        gift.save()
        gift_record_event(
            gift, "charged", payment_intent=intent.id, status=intent.status
        )

        if intent.status == "succeeded":
            gift_mark_paid(gift, intent, source="charge")
            return ChargeOutcome("paid")
        if intent.status == "requires_action":
            return ChargeOutcome("requires_action", client_secret=intent.client_secret)
        if intent.status == "processing":
            return ChargeOutcome("processing")
        return ChargeOutcome("declined", message="")


def gift_refresh_from_stripe(gift: Gift) -> Gift:
    """Re-read the gift's PaymentIntent and apply what Stripe says now."""
    if not gift.stripe_payment_intent_id:
        return gift
    intent = gateway.payment_intent_retrieve(gift.stripe_payment_intent_id)
    gift_apply_intent(gift.pk, intent, source="refresh")
    gift.refresh_from_db()
    return gift


def gift_apply_intent(
    gift_id: int, intent: gateway.IntentState, *, source: str
) -> bool:
    """Apply a PaymentIntent's current state to its gift; True if it changed."""
    with transaction.atomic():
        gift = Gift.objects.select_for_update().get(pk=gift_id)
        if intent.id != gift.stripe_payment_intent_id:
            made_for_gift = intent.gift_id == str(gift.pk)
            if made_for_gift and intent.status == "succeeded":
                if gift.status == Gift.Status.PAID:
                    # Two successful charges for one gift: money to give back.
                    logger.error(
                        "gift %s: second successful intent %s; refund it",
                        gift.pk,
                        intent.id,
                        extra={"gift_id": gift.pk},
                    )
                    gift_record_event(
                        gift, "duplicate_charge", payment_intent=intent.id
                    )
                    return False
                # Stripe charged but our record of the intent was lost (an
                # answer that never came back, a rolled-back transaction):
                # the money decides, so the gift takes this intent.
                logger.warning(
                    "gift %s: adopting succeeded intent %s", gift.pk, intent.id,
                    extra={"gift_id": gift.pk},
                )  # fmt: skip
                gift.stripe_payment_intent_id = intent.id
                gift.save(update_fields=["stripe_payment_intent_id", "updated_at"])
                return gift_mark_paid(gift, intent, source=source)
            # An intent the gift has moved on from (a retried card): its news
            # must not override the current attempt.
            logger.warning(
                "gift %s: ignoring %s of stale intent %s",
                gift.pk,
                intent.status,
                intent.id,
                extra={"gift_id": gift.pk},
            )
            return False
        if intent.status == "succeeded":
            return gift_mark_paid(gift, intent, source=source)
        if intent.status in ("requires_payment_method", "canceled"):
            return gift_mark_failed(gift, intent, source=source)
        return False


def gift_mark_paid(gift: Gift, intent: gateway.IntentState, *, source: str) -> bool:
    """Mark a locked gift paid and count it; a no-op if it already is.

    Must be called inside a transaction holding the gift's row lock.
    """
    if gift.status == Gift.Status.PAID:
        return False
    if gift.status != Gift.Status.PENDING and gift.status != Gift.Status.FAILED:
        logger.warning(
            "gift %s is %s; not marking it paid",
            gift.pk,
            gift.status,
            extra={"gift_id": gift.pk},
        )
        return False
    expected = to_minor_units(gift.amount)
    if intent.amount_minor != expected or intent.currency != str(gift.amount.currency):
        logger.error(
            "gift %s: intent %s is %s %s, gift is %s %s; not marking paid",
            gift.pk,
            intent.id,
            intent.amount_minor,
            intent.currency,
            expected,
            gift.amount.currency,
            extra={"gift_id": gift.pk},
        )
        return False

    gift.status = Gift.Status.PAID
    gift.paid_at = timezone.now()
    gift.failure_code = ""
    gift.stripe_charge_id = intent.charge_id or gift.stripe_charge_id
    if gift.donor_details:
        donor_apply_details(gift.donor_id, gift.donor_details)
    gift.save(
        update_fields=[
            "status",
            "paid_at",
            "failure_code",
            "stripe_charge_id",
            "updated_at",
        ]
    )
    campaign_record_paid_gift(gift=gift)
    gift_record_event(gift, "paid", source=source, payment_intent=intent.id)
    logger.info("gift %s paid (%s)", gift.pk, source, extra={"gift_id": gift.pk})

    transaction.on_commit(lambda: gift_paid_enqueue(gift.pk))
    return True


def gift_paid_enqueue(gift_id: int) -> None:
    """After a gift is paid and committed: queue its receipt and its card.

    Neither raises: what cannot be queued now, a sweep queues later.
    """
    from receipts.tasks import receipt_enqueue
    from wall.tasks import dedication_card_enqueue

    receipt_enqueue(gift_id)
    dedication_card_enqueue(gift_id)


def gift_mark_failed(gift: Gift, intent: gateway.IntentState, *, source: str) -> bool:
    if gift.status != Gift.Status.PENDING:
        return False
    gift.status = Gift.Status.FAILED
    gift.failure_code = intent.failure_code or "payment_failed"
    gift.save(update_fields=["status", "failure_code", "updated_at"])
    gift_record_event(gift, "failed", source=source, code=gift.failure_code)
    logger.info(
        "gift %s failed (%s)", gift.pk, gift.failure_code, extra={"gift_id": gift.pk}
    )
    return True
