"""The donor's changes to a monthly gift, from the signed link or the admin:
amount, pause, resume, stop, and a new card or bank account."""

import logging
from datetime import date

from django.db import transaction
from django.utils import timezone

from payments import gateway
from payments.models import Gift, Mandate, RecurringGift
from payments.recurring import (
    RecurringStateError,
    _stop,
    next_charge_after,
    recurring_record_event,
    recurring_remember_payment_method,
)

logger = logging.getLogger(__name__)


def _locked(plan) -> RecurringGift:
    return RecurringGift.objects.select_for_update().get(pk=plan.pk)


def recurring_change_amount(plan, amount, *, actor=None) -> RecurringGift:
    with transaction.atomic():
        plan = _locked(plan)
        if plan.status == RecurringGift.Status.STOPPED:
            raise RecurringStateError("stopped")
        if amount.currency != plan.amount.currency:
            raise RecurringStateError("currency")
        before = plan.amount
        plan.amount = amount
        plan.save(update_fields=["amount", "amount_currency", "updated_at"])
        recurring_record_event(
            plan, "amount_changed", actor=actor,
            before=str(before.amount), after=str(amount.amount),
        )  # fmt: skip
    logger.info(
        "monthly gift %s: amount changed", plan.pk, extra={"recurring_id": plan.pk}
    )
    return plan


def recurring_pause(plan, *, actor=None) -> RecurringGift:
    with transaction.atomic():
        plan = _locked(plan)
        if plan.status != RecurringGift.Status.ACTIVE:
            raise RecurringStateError(plan.status)
        plan.status = RecurringGift.Status.PAUSED
        plan.pause_reason = RecurringGift.PauseReason.DONOR
        plan.retry_on = None
        plan.save()
        recurring_record_event(plan, "paused", actor=actor, reason="donor")
    logger.info("monthly gift %s paused by donor", plan.pk)
    return plan


def recurring_resume(plan, *, today: date | None = None, actor=None) -> RecurringGift:
    """Start again from the next charge day; missed months are not charged."""
    today = today or timezone.localdate()
    with transaction.atomic():
        plan = _locked(plan)
        if plan.status != RecurringGift.Status.PAUSED:
            raise RecurringStateError(plan.status)
        plan.status = RecurringGift.Status.ACTIVE
        plan.pause_reason = RecurringGift.PauseReason.NONE
        plan.failed_tries = 0
        plan.retry_on = None
        plan.next_charge_on = next_charge_after(today, plan.charge_day)
        plan.save()
        recurring_record_event(
            plan, "resumed", actor=actor, next_charge_on=str(plan.next_charge_on)
        )
    logger.info("monthly gift %s resumed", plan.pk)
    return plan


def recurring_stop(plan, *, actor=None) -> RecurringGift:
    with transaction.atomic():
        plan = _locked(plan)
        if plan.status == RecurringGift.Status.STOPPED:
            return plan
        _stop(plan, actor=actor)
    logger.info("monthly gift %s stopped", plan.pk)
    return plan


def recurring_prepare_card_change(plan, *, mandate: dict | None = None) -> str:
    """A SetupIntent for a new card or account; returns its client secret.

    A new bank account needs a new mandate: ``mandate`` is what the donor
    accepted on the page (``text``, ``iban_country``, ``iban_last4``), kept
    with the request until the account is confirmed.
    """
    if plan.status == RecurringGift.Status.STOPPED or not plan.stripe_customer_id:
        raise RecurringStateError(plan.status)
    if plan.method == Gift.Method.SEPA and not mandate:
        raise RecurringStateError("a new account needs its mandate")
    intent = gateway.setup_intent_create(
        customer_id=plan.stripe_customer_id,
        gift_id=0,
        key=f"recurring:{plan.pk}:setup:{timezone.now():%Y%m%d%H%M%S%f}",
        method=plan.method,
    )
    with transaction.atomic():
        plan = _locked(plan)
        recurring_record_event(
            plan,
            "card_change_started",
            setup_intent=intent.id,
            mandate=mandate or {},
            accepted_at=timezone.now().isoformat(),
        )
    return intent.client_secret


def recurring_finish_card_change(plan, setup_intent_id: str, *, today=None):
    """Use the method a SetupIntent confirmed; a plan paused by declines resumes."""
    started = (
        plan.events.filter(
            kind="card_change_started", data__setup_intent=setup_intent_id
        )
        .order_by("-pk")
        .first()
    )
    if started is None:
        raise RecurringStateError("foreign setup intent")
    setup = gateway.setup_intent_retrieve(setup_intent_id)
    if setup.status != "succeeded" or not setup.payment_method_id:
        raise RecurringStateError(setup.status)
    gateway.payment_method_attach(
        payment_method_id=setup.payment_method_id,
        customer_id=plan.stripe_customer_id,
    )
    with transaction.atomic():
        plan = _locked(plan)
        if plan.method == Gift.Method.SEPA:
            accepted = started.data["mandate"]
            plan.mandate = Mandate.objects.create(
                donor_id=plan.donor_id,
                language=plan.language,
                accepted_at=started.at,
                text=accepted["text"],
                iban_country=accepted["iban_country"],
                iban_last4=accepted["iban_last4"],
            )
            plan.save(update_fields=["mandate", "updated_at"])
        recurring_remember_payment_method(
            plan.pk,
            customer_id=plan.stripe_customer_id,
            payment_method_id=setup.payment_method_id,
        )
        plan = _locked(plan)
        recurring_record_event(plan, "card_changed", setup_intent=setup_intent_id)
        declined = plan.pause_reason == RecurringGift.PauseReason.DECLINED
    if plan.status == RecurringGift.Status.PAUSED and declined:
        plan = recurring_resume(plan, today=today)
    return plan
