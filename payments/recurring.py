"""Monthly gifts: the schedule, off-session charges, declines and notices.

Stripe Subscriptions are not used (docs/monthly-gifts.md says why): a plan
(``RecurringGift``) is charged by our own daily job. Each month it owes is a
``Gift`` row created under the plan's row lock, unique per (plan, month) in
the database, and its PaymentIntent carries an idempotency key made of the
plan, the month and the try: a second run, a retried task or a second
scheduler can never charge a month twice.

What a charge can end in:

- paid: the gift goes through ``gift_mark_paid`` like any other;
- processing (SEPA): the bank answers days later, through the webhook;
- authentication needed: the donor gets a link to authenticate the payment;
- declined: retried on the days of ``RECURRING_RETRY_DAYS``, then the plan
  is paused and the donor told.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from payments import gateway
from payments.models import Gift, RecurringEvent, RecurringGift, RecurringNotice

logger = logging.getLogger(__name__)


class RecurringStateError(Exception):
    """The monthly gift is not in a state that allows this change."""


# --- Dates ---------------------------------------------------------------------


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_after(day: date, charge_day: int) -> date:
    """The charge date in the month after ``day``'s month."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, charge_day)


def next_charge_after(day: date, charge_day: int) -> date:
    """The first charge date strictly after ``day``."""
    this_month = date(day.year, day.month, charge_day)
    return this_month if this_month > day else month_after(day, charge_day)


def retry_days() -> list[int]:
    """Days after a month's first try on which a declined payment is retried."""
    return list(settings.RECURRING_RETRY_DAYS)


# --- Events and notices --------------------------------------------------------


def recurring_record_event(plan, kind: str, *, actor=None, **data) -> RecurringEvent:
    return RecurringEvent.objects.create(
        recurring=plan, kind=kind, actor=actor, data=data
    )


def _notice(plan, kind: str, key: str, gift=None) -> bool:
    """Owe the donor an email for this occasion, once; queued after commit."""
    notice, created = RecurringNotice.objects.get_or_create(
        recurring=plan, kind=kind, key=key, defaults={"gift": gift}
    )
    if created:
        from payments.tasks import recurring_notice_enqueue

        transaction.on_commit(lambda: recurring_notice_enqueue(notice.pk))
        logger.info(
            "monthly gift %s: %s notice owed (%s)",
            plan.pk,
            kind,
            key,
            extra={"recurring_id": plan.pk, "gift_id": gift.pk if gift else None},
        )
    return created


# --- Creation and the first payment --------------------------------------------


def recurring_create(*, donor, campaign, beneficiary, amount, method, anonymous,
                     language, mandate=None, **source) -> RecurringGift:  # fmt: skip
    """A plan waiting for its first payment (made on the donate page)."""
    plan = RecurringGift.objects.create(
        donor=donor,
        campaign=campaign,
        beneficiary=beneficiary,
        amount=amount,
        method=method,
        anonymous=anonymous,
        language=language,
        mandate=mandate,
        **source,
    )
    recurring_record_event(plan, "created", amount=str(amount.amount), method=method)
    return plan


def recurring_remember_payment_method(plan_id: int, *, customer_id: str,
                                      payment_method_id: str) -> None:  # fmt: skip
    """Keep the method the first payment (or a card change) set up.

    The card's expiry feeds the expiry notice; a SEPA method's mandate
    reference is copied onto the stored mandate. Losing these details only
    loses the notice, so a Stripe hiccup here is logged, not raised.
    """
    plan = RecurringGift.objects.select_for_update().get(pk=plan_id)
    plan.stripe_customer_id = customer_id
    plan.stripe_payment_method_id = payment_method_id
    try:
        details = gateway.payment_method_details(payment_method_id)
    except gateway.GatewayError:
        logger.warning(
            "monthly gift %s: payment method details unavailable",
            plan.pk,
            extra={"recurring_id": plan.pk},
        )
        details = None
    if details and details.type == "card":
        plan.card_exp_month, plan.card_exp_year = details.exp_month, details.exp_year
    if details and plan.mandate_id and details.mandate_reference:
        plan.mandate.reference = details.mandate_reference
        plan.mandate.stripe_payment_method_id = payment_method_id
        plan.mandate.save(update_fields=["reference", "stripe_payment_method_id"])
    plan.save()


def recurring_after_paid(gift) -> None:
    """A payment of the plan succeeded (called under the gift's row lock)."""
    plan = RecurringGift.objects.select_for_update().get(pk=gift.recurring_id)
    if plan.status == RecurringGift.Status.PENDING:
        # The day the donor gave sets the schedule, not the day the bank
        # confirmed: a SEPA gift made on 29 December and confirmed on
        # 3 January paid for December, and January is charged on the 28th.
        given_on = timezone.localdate(gift.created_at)
        plan.status = RecurringGift.Status.ACTIVE
        plan.charge_day = min(given_on.day, 28)
        plan.next_charge_on = month_after(given_on, plan.charge_day)
        plan.started_at = gift.paid_at
        plan.save()
        recurring_record_event(
            plan, "started", gift=gift.pk, next_charge_on=str(plan.next_charge_on)
        )
        logger.info(
            "monthly gift %s started; next payment on %s",
            plan.pk,
            plan.next_charge_on,
            extra={"recurring_id": plan.pk, "gift_id": gift.pk},
        )
        return
    latest = plan.gifts.exclude(period="").order_by("-period").first()
    if plan.failed_tries and latest and latest.pk == gift.pk:
        # The month that was being retried is paid after all (a late SEPA
        # confirmation, an authenticated payment).
        plan.failed_tries = 0
        plan.retry_on = None
        plan.save(update_fields=["failed_tries", "retry_on", "updated_at"])


def recurring_after_failed(gift, *, today: date | None = None) -> None:
    """A payment of the plan failed (called under the gift's row lock)."""
    plan = RecurringGift.objects.select_for_update().get(pk=gift.recurring_id)
    if plan.status == RecurringGift.Status.PENDING and gift.method == Gift.Method.SEPA:
        # The bank refused the first debit days after the donor left the
        # page: the monthly gift never started. Tell them.
        _stop(plan, reason="first_payment_failed")
        _notice(plan, RecurringNotice.Kind.FIRST_FAILED, gift.period, gift)
        return
    if plan.status != RecurringGift.Status.ACTIVE:
        # A first card payment is retried by the donor on the page; a paused
        # or stopped plan is not retried.
        return
    _register_decline(plan, gift, today or timezone.localdate())


def _register_decline(plan, gift, today: date) -> None:
    plan.failed_tries += 1
    schedule = retry_days()
    first_try = timezone.localdate(gift.created_at)
    if plan.failed_tries <= len(schedule):
        retry_on = first_try + timedelta(days=schedule[plan.failed_tries - 1])
        plan.retry_on = max(retry_on, today + timedelta(days=1))
        plan.save(update_fields=["failed_tries", "retry_on", "updated_at"])
        recurring_record_event(
            plan, "declined", gift=gift.pk, code=gift.failure_code,
            tries=plan.failed_tries, retry_on=str(plan.retry_on),
        )  # fmt: skip
        if plan.failed_tries == 1:
            _notice(plan, RecurringNotice.Kind.DECLINED, gift.period, gift)
        logger.info(
            "monthly gift %s: %s declined (%s); retry on %s",
            plan.pk,
            gift.period,
            gift.failure_code,
            plan.retry_on,
            extra={"recurring_id": plan.pk, "gift_id": gift.pk},
        )
        return
    plan.status = RecurringGift.Status.PAUSED
    plan.pause_reason = RecurringGift.PauseReason.DECLINED
    plan.retry_on = None
    plan.save()
    recurring_record_event(
        plan, "paused", reason="declined", gift=gift.pk, tries=plan.failed_tries
    )
    _notice(plan, RecurringNotice.Kind.PAUSED, gift.period, gift)
    logger.warning(
        "monthly gift %s paused after %s declined tries for %s",
        plan.pk,
        plan.failed_tries,
        gift.period,
        extra={"recurring_id": plan.pk, "gift_id": gift.pk},
    )


# --- The scheduler ---------------------------------------------------------------


@dataclass
class ChargeRun:
    """What one run of the scheduler did (or, dry, would do)."""

    day: date
    dry_run: bool = False
    due: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    expiry_notices: int = 0

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def due_plan_ids(day: date) -> list[int]:
    from django.db.models import Q

    return list(
        RecurringGift.objects.filter(status=RecurringGift.Status.ACTIVE)
        .filter(Q(next_charge_on__lte=day) | Q(retry_on__lte=day))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def recurring_charge_due(day: date, *, dry_run: bool = False) -> ChargeRun:
    """Charge every plan due on ``day``; safe to run twice or concurrently."""
    run = ChargeRun(day=day, dry_run=dry_run)
    ids = due_plan_ids(day)
    run.due = len(ids)
    if dry_run:
        return run
    # Stripe allows about 25 writes a second per endpoint in live mode:
    # pace the PaymentIntents below that.
    interval = 1 / float(settings.RECURRING_CHARGES_PER_SECOND)
    next_at = time.monotonic()
    for plan_id in ids:
        pause = next_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        next_at = max(next_at, time.monotonic()) + interval
        run.count(recurring_charge_one(plan_id, day))
    run.expiry_notices = recurring_card_expiry_notices(day)
    logger.info(
        "monthly charges for %s: %s due, %s", day, run.due, run.outcomes or "none"
    )
    return run


def recurring_charge_one(plan_id: int, day: date) -> str:
    """Charge one plan if it is due on ``day``; return what happened."""
    try:
        with transaction.atomic():
            return _charge_locked(plan_id, day)
    except gateway.GatewayUnavailable:
        # Rolled back: the month stays due and the next run tries it again
        # with the same idempotency key, so a charge Stripe did make is
        # returned rather than repeated.
        logger.warning(
            "monthly gift %s: Stripe unavailable; left due",
            plan_id,
            extra={"recurring_id": plan_id},
        )
        return "unavailable"
    except IntegrityError:
        # Another scheduler created this month's gift first.
        logger.info("monthly gift %s: charged elsewhere", plan_id)
        return "skipped"
    except gateway.GatewayError:
        # Stripe refused the request itself (an unknown customer or method, a
        # configuration error): rolled back and left due, for a person to see.
        logger.exception(
            "monthly gift %s: Stripe refused the charge request; left due",
            plan_id,
            extra={"recurring_id": plan_id},
        )
        return "error"


def _charge_locked(plan_id: int, day: date) -> str:
    plan = (
        # Only the plan's row: locking the joined campaign too would make a
        # second scheduler skip every plan of a campaign the first is paying.
        RecurringGift.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("campaign")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None or plan.status != RecurringGift.Status.ACTIVE:
        return "skipped"
    campaign = plan.campaign
    ended = campaign.ends_on is not None and day > campaign.ends_on
    if campaign.status == campaign.Status.CLOSED or ended:
        # The campaign has ended or closed: its monthly gifts end with it.
        _stop(plan, reason="campaign_closed")
        logger.warning(
            "monthly gift %s stopped: campaign %s no longer accepts gifts",
            plan.pk,
            plan.campaign_id,
            extra={"recurring_id": plan.pk},
        )
        return "stopped"
    if plan.retry_on and plan.retry_on <= day:
        gift = (
            Gift.objects.select_for_update()
            .filter(recurring=plan, status=Gift.Status.FAILED)
            .order_by("-period")
            .first()
        )
        plan.retry_on = None
        plan.save(update_fields=["retry_on", "updated_at"])
        if gift is None:
            return "skipped"
        attempt = plan.failed_tries
    elif plan.retry_on:
        # A month is still being retried (a SEPA refusal arrives days late):
        # the next month waits until that month is paid or given up.
        return "skipped"
    elif plan.next_charge_on and plan.next_charge_on <= day:
        due = plan.next_charge_on
        skipped = []
        # Months missed while the job did not run are not charged in a
        # burst: only the latest one due is, so that no run, and no two runs
        # at once, take more than one month from a donor on one day.
        while month_after(due, plan.charge_day) <= day:
            skipped.append(period_of(due))
            due = month_after(due, plan.charge_day)
        if skipped:
            recurring_record_event(plan, "months_not_charged", periods=skipped)
            logger.warning(
                "monthly gift %s: %s missed months not charged",
                plan.pk,
                len(skipped),
                extra={"recurring_id": plan.pk},
            )
        period = period_of(due)
        plan.next_charge_on = month_after(due, plan.charge_day)
        plan.failed_tries = 0
        plan.save()
        if Gift.objects.filter(recurring=plan, period=period).exists():
            return "skipped"
        gift = _period_gift(plan, period)
        attempt = 0
    else:
        return "skipped"
    return _charge(plan, gift, attempt, day)


def _period_gift(plan, period: str) -> Gift:
    from payments.services import gift_receipt_mode, gift_record_event

    gift = Gift.objects.create(
        donor=plan.donor,
        campaign=plan.campaign,
        beneficiary=plan.beneficiary,
        amount=plan.amount,
        anonymous=plan.anonymous,
        language=plan.language,
        method=plan.method,
        receipt_mode=gift_receipt_mode(plan.donor),
        recurring=plan,
        period=period,
        mandate=plan.mandate,
        stripe_customer_id=plan.stripe_customer_id,
        stripe_payment_method_id=plan.stripe_payment_method_id,
        utm_source=plan.utm_source,
        utm_medium=plan.utm_medium,
        utm_campaign=plan.utm_campaign,
    )
    gift_record_event(gift, "created", amount=str(plan.amount.amount), period=period)
    return gift


def _charge(plan, gift, attempt: int, day: date) -> str:
    from payments.services import gift_mark_failed, gift_mark_paid, gift_record_event

    key = f"recurring:{plan.pk}:{gift.period}:{attempt}"
    try:
        intent = gateway.payment_intent_charge(
            amount=gift.amount,
            customer_id=plan.stripe_customer_id,
            payment_method_id=plan.stripe_payment_method_id,
            metadata={
                "gift_id": str(gift.pk),
                "campaign_id": str(gift.campaign_id),
                "recurring_id": str(plan.pk),
                "period": gift.period,
            },
            key=key,
            method=plan.method,
            off_session=True,
        )
    except gateway.PaymentDeclined as exc:
        if exc.code == "authentication_required" and exc.payment_intent_id:
            # Real Stripe: the intent exists and waits for the donor.
            intent = gateway.IntentState(
                id=exc.payment_intent_id, status="requires_action", client_secret=""
            )
        else:
            gift.status = Gift.Status.FAILED
            gift.failure_code = exc.code or "card_declined"
            gift.save(update_fields=["status", "failure_code", "updated_at"])
            gift_record_event(gift, "declined", code=gift.failure_code, attempt=attempt)
            _register_decline(plan, gift, day)
            return (
                "paused" if plan.status == RecurringGift.Status.PAUSED else "declined"
            )

    gift.stripe_payment_intent_id = intent.id
    gift.status = Gift.Status.PENDING
    gift.failure_code = ""
    gift.save(
        update_fields=[
            "stripe_payment_intent_id",
            "status",
            "failure_code",
            "updated_at",
        ]
    )
    gift_record_event(gift, "charged", payment_intent=intent.id, status=intent.status)
    if intent.status == "succeeded":
        gift_mark_paid(gift, intent, source="scheduler")
        return "paid"
    if intent.status == "processing":
        return "processing"
    if intent.status == "requires_action":
        _notice(
            plan,
            RecurringNotice.Kind.AUTHENTICATE,
            f"{gift.period}:{attempt}",
            gift,
        )
        return "requires_action"
    gift_mark_failed(gift, intent, source="scheduler", today=day)
    plan.refresh_from_db()
    return "paused" if plan.status == RecurringGift.Status.PAUSED else "declined"


def recurring_card_expiry_notices(day: date) -> int:
    """Warn donors whose card expires before their next monthly payment."""
    plans = RecurringGift.objects.filter(
        status=RecurringGift.Status.ACTIVE,
        method=Gift.Method.CARD,
        card_exp_year__isnull=False,
        card_exp_month__isnull=False,
        next_charge_on__isnull=False,
        card_exp_year__lte=day.year + 1,
    )
    sent = 0
    for plan in plans.iterator():
        expires = (plan.card_exp_year, plan.card_exp_month)
        nxt = plan.next_charge_on
        if expires >= (nxt.year, nxt.month):
            continue
        with transaction.atomic():
            sent += _notice(
                plan,
                RecurringNotice.Kind.CARD_EXPIRING,
                f"{plan.card_exp_year:04d}-{plan.card_exp_month:02d}",
            )
    return sent


def _stop(plan, *, actor=None, reason="donor") -> None:
    plan.status = RecurringGift.Status.STOPPED
    plan.stopped_at = timezone.now()
    plan.next_charge_on = None
    plan.retry_on = None
    plan.save()
    recurring_record_event(plan, "stopped", actor=actor, reason=reason)
