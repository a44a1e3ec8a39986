"""Reconcile Stripe's balance with our gifts and refunds.

A run reads the balance transactions Stripe created over some Paris days and
the payouts it made then. Each charge is matched to its gift by PaymentIntent
(then by charge id), each refund to our refund by Stripe id (then to a refund
recorded from the dashboard, which has none). What matches gets a settlement
row holding Stripe's fee and net; what does not becomes a Mismatch for
finance. Every row is keyed on a Stripe id under a unique constraint, so
running over the same days again updates rows and adds none.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from payments import gateway
from payments.models import Gift, Refund
from reconcile.models import (
    GiftSettlement,
    Mismatch,
    Payout,
    ReconciliationRun,
    RefundSettlement,
)

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
# A charge is created a few seconds to minutes before its gift is marked paid
# (3-D Secure, a late webhook): read transactions from a little earlier than
# the first day so a gift paid just after midnight still finds its charge.
CHARGE_LOOKBEHIND = timedelta(hours=1)
# Stripe's types for a card charge and its refund (py_/pyr_ for other
# payment methods).
CHARGE_TYPES = frozenset({"charge", "payment"})
REFUND_TYPES = frozenset({"refund", "payment_refund"})
PAID_STATUSES = (Gift.Status.PAID, Gift.Status.REFUNDED)


class ReconciliationRefused(ValueError):
    """The run asked for cannot start; the message says why, for staff."""


@dataclass
class _Tally:
    transactions: int = 0
    matched: int = 0
    payouts: int = 0
    mismatches: int = 0
    seen: set = field(default_factory=set)
    flagged: set = field(default_factory=set)


# === Periods ===


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ReconciliationRefused(
            _("%(value)s is not a date: write it YYYY-MM-DD.") % {"value": text}
        ) from None


EARLIEST_DAY = date(2011, 1, 1)


def check_period(since: date, until: date | None) -> date:
    """Return ``until`` (today when None) once the period is one we can read.

    Stripe has no future to read: a future day would record a run that claims
    to have checked days that have not happened.
    """
    today = timezone.localdate()
    until = until or today
    if since > today or until > today:
        raise ReconciliationRefused(
            _("%(day)s is in the future; reconcile days up to today (%(today)s).")
            % {"day": max(since, until).isoformat(), "today": today.isoformat()}
        )
    if since > until:
        raise ReconciliationRefused(
            _("The first day (%(since)s) is after the last (%(until)s).")
            % {"since": since.isoformat(), "until": until.isoformat()}
        )
    # Stripe opened in 2011; anything older is a typing slip, and dates near
    # year 1 would overflow the period's bounds.
    if since < EARLIEST_DAY:
        raise ReconciliationRefused(
            _("%(day)s is before %(earliest)s; nothing to read there.")
            % {"day": since.isoformat(), "earliest": EARLIEST_DAY.isoformat()}
        )
    return until


def period_bounds(since: date, until: date) -> tuple[datetime, datetime]:
    """[first Paris midnight, the midnight after the last day)."""
    start = datetime.combine(since, datetime.min.time(), tzinfo=PARIS)
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), PARIS)
    return start, end


def default_since(today: date | None = None) -> date:
    """Where the daily run starts: the last good run's end less a margin.

    The margin re-reads days whose charges may have been paid out or refunded
    since; it costs a few more Stripe pages and stores nothing twice.
    """
    today = today or timezone.localdate()
    last = (
        ReconciliationRun.objects.filter(status=ReconciliationRun.Status.SUCCEEDED)
        .order_by("-until")
        .first()
    )
    if last is None:
        return today - timedelta(days=settings.RECONCILE_FIRST_RUN_DAYS)
    return min(today, last.until - timedelta(days=settings.RECONCILE_MARGIN_DAYS))


# === Runs ===


def reconciliation_start(
    *, since: date, until: date | None = None, actor=None
) -> ReconciliationRun:
    """Record a run in progress; refuse a bad period or a second run at once."""
    until = check_period(since, until)

    # A worker killed mid-run leaves its row running; past the timeout it
    # can no longer be working, and would block every later run.
    stale = timezone.now() - timedelta(seconds=settings.RECONCILE_RUN_TIMEOUT_SECONDS)
    ReconciliationRun.objects.filter(
        status=ReconciliationRun.Status.RUNNING, started_at__lt=stale
    ).update(
        status=ReconciliationRun.Status.FAILED,
        finished_at=timezone.now(),
        error="abandoned: no news within the run timeout",
    )
    try:
        with transaction.atomic():
            run = ReconciliationRun.objects.create(
                since=since, until=until, actor=actor
            )
    except IntegrityError:
        raise ReconciliationRefused(
            _("A reconciliation is already running; wait for it to finish.")
        ) from None
    logger.info(
        "reconciliation %s started for %s to %s by user %s",
        run.pk,
        since,
        until,
        getattr(actor, "pk", None),
        extra={"reconciliation_run_id": run.pk},
    )
    return run


def reconciliation_run(run_id: int) -> ReconciliationRun:
    """Read Stripe for the run's days and record what matches and what not.

    A ``GatewayError`` marks the run failed and is raised again; what was
    recorded before it stays, and the next run over those days completes it.
    """
    run = ReconciliationRun.objects.get(pk=run_id)
    if run.status != ReconciliationRun.Status.RUNNING:
        return run  # a redelivered task: that run already ended
    start, end = period_bounds(run.since, run.until)
    tally = _Tally()

    try:
        for line in gateway.balance_transactions_list(
            created_from=start - CHARGE_LOOKBEHIND, created_before=end
        ):
            _apply_line(run, line, tally)
        for payout_line in gateway.payouts_list(created_from=start, created_before=end):
            _apply_payout(run, payout_line, tally)
        _flag_gifts_without_charge(run, start, end, tally)
    except Exception as exc:
        # Whatever stopped it, the run must not stay "running": that would
        # refuse every other run until the timeout.
        _finish(run, tally, ReconciliationRun.Status.FAILED, error=str(exc)[:500])
        logger.log(
            logging.ERROR,
            "reconciliation %s failed: %s",
            run.pk,
            type(exc).__name__,
            exc_info=not isinstance(exc, gateway.GatewayError),
            extra={"reconciliation_run_id": run.pk},
        )
        raise

    _finish(run, tally, ReconciliationRun.Status.SUCCEEDED)
    logger.info(
        "reconciliation %s done: %s transactions, %s matched, %s payouts, "
        "%s mismatches",
        run.pk,
        tally.transactions,
        tally.matched,
        tally.payouts,
        tally.mismatches,
        extra={"reconciliation_run_id": run.pk},
    )
    return run


def _finish(run, tally, status, error=""):
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    run.transaction_count = tally.transactions
    run.matched_count = tally.matched
    run.payout_count = tally.payouts
    run.mismatch_count = tally.mismatches
    run.save()


# === Matching ===


def _apply_line(run, line, tally, payout=None):
    """Match one balance transaction (once per run, even if listed twice)."""
    if line.id in tally.seen:
        # Matched earlier in this run from the day's list: only the payout
        # it now turns up in is new.
        if payout is not None:
            for model in (GiftSettlement, RefundSettlement):
                model.objects.filter(stripe_balance_transaction_id=line.id).update(
                    payout=payout
                )
        return
    tally.seen.add(line.id)
    tally.transactions += 1
    with transaction.atomic():
        if line.type in CHARGE_TYPES:
            matched = _apply_charge(run, line, tally, payout)
        elif line.type in REFUND_TYPES:
            matched = _apply_refund(run, line, tally, payout)
        elif line.type == "payout":
            matched = False  # the payout itself, read with the payouts
        else:
            _flag(run, tally, Mismatch.Kind.OTHER_TRANSACTION, line.id, actual=line.net)
            matched = False
    tally.matched += matched


def _settlement_values(run, line, payout):
    values = {
        "amount": line.amount,
        "fee": line.fee,
        "net": line.net,
        "stripe_created_at": line.created_at,
        "available_at": line.available_at,
    }
    if payout is not None:
        values["payout"] = payout
    return values


def _as_given(line):
    """The charge or refund in the donor's currency, positive.

    A gift in dollars settles in euros when the balance is in euros: only
    the source object keeps the amount the donor gave.
    """
    if line.source_amount is not None:
        return line.source_amount
    return abs(line.amount)


def _gift_for(line) -> Gift | None:
    if line.payment_intent_id:
        gift = Gift.objects.filter(stripe_payment_intent_id=line.payment_intent_id)
        if gift := gift.first():
            return gift
    if line.charge_id:
        return Gift.objects.filter(stripe_charge_id=line.charge_id).first()
    return None


def _apply_charge(run, line, tally, payout) -> bool:
    gift = _gift_for(line)
    if gift is None:
        _flag(
            run,
            tally,
            Mismatch.Kind.CHARGE_WITHOUT_GIFT,
            line.id,
            actual=_as_given(line),
        )
        return False
    known = GiftSettlement.objects.filter(gift=gift).first()
    if known is not None and known.stripe_balance_transaction_id != line.id:
        _flag(
            run, tally, Mismatch.Kind.SECOND_CHARGE, line.id,
            gift=gift, expected=known.amount, actual=_as_given(line),
        )  # fmt: skip
        return False

    GiftSettlement.objects.update_or_create(
        stripe_balance_transaction_id=line.id,
        defaults=_settlement_values(run, line, payout),
        create_defaults={
            **_settlement_values(run, line, payout),
            "gift": gift,
            "stripe_charge_id": line.charge_id,
            "run": run,
        },
    )
    # A gift flagged earlier because its charge came after the day ended.
    Mismatch.objects.filter(
        kind=Mismatch.Kind.GIFT_WITHOUT_CHARGE, key=f"gift:{gift.pk}", resolved=False
    ).update(
        resolved=True,
        resolved_at=timezone.now(),
        resolved_note=f"charge found by reconciliation #{run.pk} ({line.id})",
    )

    if gift.status not in PAID_STATUSES:
        _flag(
            run, tally, Mismatch.Kind.CHARGE_FOR_UNPAID_GIFT, line.id,
            gift=gift, expected=gift.amount, actual=_as_given(line),
        )  # fmt: skip
    charged = _as_given(line)
    if gift.amount != charged:
        _flag(
            run, tally, Mismatch.Kind.AMOUNT_MISMATCH, line.id,
            gift=gift, expected=gift.amount, actual=charged,
        )  # fmt: skip
    return True


def _refund_for(line) -> Refund | None:
    if line.refund_id:
        refund = Refund.objects.filter(stripe_refund_id=line.refund_id).first()
        if refund is not None:
            return refund
    # A refund made in Stripe's dashboard is recorded from the charge, without
    # its Stripe id: take the oldest such refund of that amount not yet matched.
    gift = _gift_for(line)
    if gift is None:
        return None
    return (
        Refund.objects.filter(
            gift=gift,
            stripe_refund_id="",
            amount=_as_given(line),
            settlement__isnull=True,
        )
        .order_by("created_at", "pk")
        .first()
    )


def _apply_refund(run, line, tally, payout) -> bool:
    refund = _refund_for(line)
    if refund is None:
        _flag(
            run, tally, Mismatch.Kind.REFUND_WITHOUT_RECORD, line.id,
            gift=_gift_for(line), actual=_as_given(line),
        )  # fmt: skip
        return False

    RefundSettlement.objects.update_or_create(
        stripe_balance_transaction_id=line.id,
        defaults=_settlement_values(run, line, payout),
        create_defaults={**_settlement_values(run, line, payout), "refund": refund,
                         "run": run},
    )  # fmt: skip
    refunded = _as_given(line)
    if refund.amount != refunded:
        _flag(
            run, tally, Mismatch.Kind.AMOUNT_MISMATCH, line.id,
            gift=refund.gift, expected=refund.amount, actual=refunded,
        )  # fmt: skip
    return True


def _apply_payout(run, payout_line, tally):
    tally.payouts += 1
    payout, _created = Payout.objects.update_or_create(
        stripe_payout_id=payout_line.id,
        defaults={
            "amount": payout_line.amount,
            "status": payout_line.status,
            "automatic": payout_line.automatic,
            "created_at": payout_line.created_at,
            "arrival_at": payout_line.arrival_at,
            "last_run": run,
        },
    )
    if not payout_line.automatic:
        # Stripe lists the transactions of automatic payouts only; a manual
        # payout takes an amount, not particular charges.
        return

    total = Money(0, payout_line.amount.currency)
    for line in gateway.payout_balance_transactions(payout_line.id):
        if line.type == "payout":
            continue
        total += line.net
        _apply_line(run, line, tally, payout=payout)
    payout.transactions_net = total
    payout.save(update_fields=["transactions_net"])
    if total != payout.amount:
        _flag(
            run, tally, Mismatch.Kind.PAYOUT_MISMATCH, payout_line.id,
            expected=payout.amount, actual=total,
        )  # fmt: skip


def _flag_gifts_without_charge(run, start, end, tally):
    gifts = (
        Gift.objects.filter(
            paid_at__gte=start,
            paid_at__lt=end,
            status__in=PAID_STATUSES,
            settlement__isnull=True,
        )
        .exclude(stripe_payment_intent_id="")
        .order_by("pk")
    )
    for gift in gifts:
        _flag(
            run, tally, Mismatch.Kind.GIFT_WITHOUT_CHARGE, f"gift:{gift.pk}",
            gift=gift, expected=gift.amount,
        )  # fmt: skip


def _flag(run, tally, kind, key, *, gift=None, expected=None, actual=None):
    # A charge read with the day and again with its payout counts once.
    if (kind, key) not in tally.flagged:
        tally.flagged.add((kind, key))
        tally.mismatches += 1
    mismatch, created = Mismatch.objects.get_or_create(
        kind=kind,
        key=key,
        defaults={
            "gift": gift,
            "expected": expected,
            "actual": actual,
            "first_run": run,
        },
    )
    if created:
        logger.warning(
            "reconciliation %s: %s on %s (gift %s)",
            run.pk,
            kind,
            key,
            getattr(gift, "pk", None),
            extra={"reconciliation_run_id": run.pk, "mismatch_id": mismatch.pk},
        )
    return mismatch


# === Staff ===


def mismatch_resolve(mismatch_id: int, *, note: str, actor) -> Mismatch:
    """Mark a mismatch settled by a person, with what they did about it."""
    note = (note or "").strip()
    if not note:
        raise ReconciliationRefused(_("Say how the mismatch was settled."))
    with transaction.atomic():
        mismatch = Mismatch.objects.select_for_update().get(pk=mismatch_id)
        if mismatch.resolved:
            return mismatch
        mismatch.resolved = True
        mismatch.resolved_note = note
        mismatch.resolved_by = actor
        mismatch.resolved_at = timezone.now()
        mismatch.save()
    logger.info(
        "mismatch %s resolved by user %s",
        mismatch.pk,
        actor.pk,
        extra={"mismatch_id": mismatch.pk},
    )
    return mismatch
