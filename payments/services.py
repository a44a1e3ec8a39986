"""State changes of gifts: create, charge through Stripe, mark paid or failed.

Every transition locks the gift row, re-reads its state and does nothing if
another request or webhook got there first, so a gift is paid once however
many times Stripe tells us about it.
"""

import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from campaigns.services import campaign_record_paid_gift
from donors.services import (
    DONOR_FIELDS,
    consent_record_from_gift,
    donor_apply_details,
    donor_get_or_create,
)
from payments import gateway, throttle
from payments.conversion import gift_convert_to_eur
from payments.currency import to_minor_units
from payments.models import Gift, GiftEvent, Mandate
from payments.recurring import period_of

logger = logging.getLogger(__name__)


# Money that reaches the foundation outside Stripe, recorded by staff.
OFFLINE_METHODS = (Gift.Method.CHEQUE, Gift.Method.TRANSFER, Gift.Method.CASH)


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
    method=Gift.Method.CARD,
    monthly=False,
    mandate: dict | None = None,
    source: dict | None = None,
) -> Gift:
    """Record a pending online gift and its donor; nothing is charged yet.

    ``monthly`` makes it the first payment of a new monthly gift. ``mandate``
    (SEPA only) is what the donor accepted: ``text``, ``iban_country`` and
    ``iban_last4``, stored with the moment of acceptance. ``source`` holds
    the cleaned UTM tags of the link that brought the donor.
    """
    source = source or {}
    if method == Gift.Method.SEPA and not mandate:
        raise ValueError("a SEPA gift needs the mandate the donor accepted")
    with transaction.atomic():
        details = {key: value for key, value in donor_details.items() if key != "email"}
        donor = donor_get_or_create(
            email=donor_details["email"],
            **{key: details[key] for key in DONOR_FIELDS if key in details},
        )
        mandate_row = None
        if method == Gift.Method.SEPA:
            mandate_row = Mandate.objects.create(
                donor=donor, language=language, accepted_at=timezone.now(), **mandate
            )
        plan = None
        if monthly:
            from payments.recurring import recurring_create

            plan = recurring_create(
                donor=donor,
                campaign=campaign,
                beneficiary=beneficiary,
                amount=amount,
                method=method,
                anonymous=anonymous,
                language=language,
                mandate=mandate_row,
                **source,
            )
        gift = Gift.objects.create(
            donor=donor,
            campaign=campaign,
            beneficiary=beneficiary,
            amount=amount,
            anonymous=anonymous,
            language=language,
            method=method,
            receipt_mode=gift_receipt_mode(donor, details),
            donor_details=details,
            recurring=plan,
            period=period_of(timezone.localdate()) if plan else "",
            mandate=mandate_row,
            **source,
        )
        gift_record_event(
            gift, "created", amount=str(amount.amount), method=method, monthly=monthly
        )
    logger.info(
        "gift %s created for campaign %s (%s, %s%s)",
        gift.pk,
        campaign.pk,
        amount,
        method,
        f", first of monthly gift {plan.pk}" if plan else "",
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
            method=gift.method,
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
        if gift.recurring_id:
            from payments.recurring import recurring_remember_payment_method

            recurring_remember_payment_method(
                gift.recurring_id,
                customer_id=gift.stripe_customer_id,
                payment_method_id=setup.payment_method_id,
            )
        metadata = {"gift_id": str(gift.pk), "campaign_id": str(gift.campaign_id)}
        if gift.recurring_id:
            metadata.update(recurring_id=str(gift.recurring_id), period=gift.period)
        try:
            intent = gateway.payment_intent_charge(
                amount=gift.amount,
                customer_id=gift.stripe_customer_id,
                payment_method_id=setup.payment_method_id,
                metadata=metadata,
                key=f"gift:{gift.pk}:charge:{setup.payment_method_id}",
                method=gift.method,
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
        established = (
            Gift.objects.filter(
                donor_id=gift.donor_id,
                status__in=[Gift.Status.PAID, Gift.Status.REFUNDED],
            )
            .exclude(pk=gift.pk)
            .exists()
        )
        applied = donor_apply_details(
            gift.donor_id,
            gift.donor_details,
            given_at=gift.created_at,
            established=established,
        )
        if applied:
            consent_record_from_gift(gift)
        else:
            # Staff see it on the gift; its receipt names the donor of record.
            gift_record_event(gift, "identity_differs")
    gift.save(
        update_fields=[
            "status",
            "paid_at",
            "failure_code",
            "stripe_charge_id",
            "updated_at",
        ]
    )
    gift_count_paid(gift, source=source, payment_intent=intent.id)
    return True


def gift_count_paid(gift: Gift, *, source: str, actor=None, **data) -> None:
    """What follows every payment, online or offline: totals, history, receipt.

    Must run in the transaction that made the gift paid, so totals and gift
    states never disagree; the receipt is queued only once that commits.
    """
    # Converted before it is counted, so the campaign adds its euro value;
    # without a rate it is counted now and valued by the receipt sweep.
    gift_convert_to_eur(gift)
    campaign_record_paid_gift(gift=gift)
    gift_record_event(gift, "paid", actor=actor, source=source, **data)
    if gift.recurring_id:
        from payments.recurring import recurring_after_paid

        recurring_after_paid(gift)
    logger.info("gift %s paid (%s)", gift.pk, source, extra={"gift_id": gift.pk})

    transaction.on_commit(lambda: gift_paid_enqueue(gift.pk))


def gift_paid_enqueue(gift_id: int) -> None:
    """After a gift is paid and committed: queue its receipt and its card.

    Neither raises: what cannot be queued now, a sweep queues later.
    """
    from receipts.tasks import receipt_enqueue
    from wall.tasks import dedication_card_enqueue

    receipt_enqueue(gift_id)
    dedication_card_enqueue(gift_id)


def gift_record_offline(
    *,
    donor,
    campaign,
    amount,
    method: str,
    received_on,
    donor_details: dict,
    beneficiary=None,
    anonymous=True,
    actor=None,
    **reference,
) -> Gift:
    """Record a cheque, transfer or cash gift that has already reached us.

    The gift is paid from the start and dated by ``received_on`` (receipts
    use it); the donor's details typed with it replace their stored ones, as
    an online gift's do once paid. Must run inside the caller's transaction.
    """
    if method not in OFFLINE_METHODS:
        raise GiftStateError(f"{method} is not an offline payment method")
    gift = Gift.objects.create(
        donor=donor,
        campaign=campaign,
        beneficiary=beneficiary,
        amount=amount,
        method=method,
        anonymous=anonymous,
        status=Gift.Status.PAID,
        paid_at=timezone.now(),
        received_on=received_on,
        language=donor_details.get("language", donor.language),
        receipt_mode=gift_receipt_mode(donor, donor_details),
        donor_details=donor_details,
    )
    if donor_details:
        donor_apply_details(donor.pk, donor_details)
    gift_record_event(
        gift, "created", actor=actor, amount=str(amount.amount), method=method
    )
    gift_count_paid(gift, source="offline", actor=actor, **reference)
    return gift


def gift_mark_failed(
    gift: Gift, intent: gateway.IntentState, *, source: str, today=None
) -> bool:
    if gift.status != Gift.Status.PENDING:
        return False
    gift.status = Gift.Status.FAILED
    gift.failure_code = intent.failure_code or "payment_failed"
    gift.save(update_fields=["status", "failure_code", "updated_at"])
    gift_record_event(gift, "failed", source=source, code=gift.failure_code)
    if gift.recurring_id:
        from payments.recurring import recurring_after_failed

        recurring_after_failed(gift, today=today)
    elif gift.method == Gift.Method.SEPA:
        # The donor left the page days ago, told the bank would confirm.
        from payments.tasks import gift_failure_email_enqueue

        transaction.on_commit(lambda: gift_failure_email_enqueue(gift.pk))
    logger.info(
        "gift %s failed (%s)", gift.pk, gift.failure_code, extra={"gift_id": gift.pk}
    )
    return True


def received_on_problem(day, campaign) -> str:
    """Why ``day`` cannot be the day a gift reached the foundation, or "".

    Not in the future, not before the campaign began, and not before last
    year: older years' receipts and declarations are closed, so a gift that
    old needs finance's decision, not a form (docs/offline-gifts.md).
    """
    if isinstance(day, str):
        day = date.fromisoformat(day)
    starts_on = campaign.starts_on
    if isinstance(starts_on, str):
        starts_on = date.fromisoformat(starts_on)
    today = timezone.localdate()
    earliest = max(starts_on, date(today.year - 1, 1, 1))
    if day > today:
        return gettext("The date the gift was received is in the future.")
    if day < earliest:
        return gettext(
            "The date the gift was received is before %(date)s (the campaign's "
            "start or last year's first day)."
        ) % {"date": date_format(earliest, "DATE_FORMAT")}
    return ""


def gift_send_failure_email(gift_id: int) -> bool:
    """Tell the donor a one-off direct debit failed; once per gift."""
    from django.urls import reverse

    from receipts.emails import donor_email

    with transaction.atomic():
        gift = (
            Gift.objects.select_for_update(of=("self",))
            .select_related("donor", "campaign")
            .get(pk=gift_id)
        )
        if (
            gift.status != Gift.Status.FAILED
            or gift.events.filter(kind="failure_emailed").exists()
        ):
            return False
        donate_url = settings.SITE_URL + reverse(
            "campaigns:donate", args=[gift.campaign.slug]
        )
        donor_email(
            "payment_failed",
            gift.donor,
            {"gift": gift, "campaign": gift.campaign, "donate_url": donate_url},
        ).send()
        gift_record_event(gift, "failure_emailed")
    logger.info(
        "gift %s: failure emailed to its donor", gift_id, extra={"gift_id": gift_id}
    )
    return True
