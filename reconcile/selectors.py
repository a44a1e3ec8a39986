"""Reads for the reconciliation page and the accounting export.

``fee_lines`` and ``payout_lines`` are the export's entry points; their row
shape is documented in docs/reconciliation.md and must only grow.
"""

from collections import defaultdict
from datetime import date

from django.utils import timezone
from djmoney.money import Money

from reconcile.models import (
    GiftSettlement,
    Mismatch,
    Payout,
    ReconciliationRun,
    RefundSettlement,
)
from reconcile.services import period_bounds


def fee_lines(since: date, until: date) -> list[dict]:
    """One row per charge or refund Stripe settled over these Paris days.

    Oldest first. Money values are ``Money`` in the transaction's currency;
    ``amount`` and ``net`` are negative for refunds.
    """
    start, end = period_bounds(since, until)
    window = {"stripe_created_at__gte": start, "stripe_created_at__lt": end}
    rows = [
        _fee_row(s, "charge", gift_id=s.gift_id, refund_id=None)
        for s in GiftSettlement.objects.filter(**window).select_related("payout")
    ]
    rows += [
        _fee_row(s, "refund", gift_id=s.refund.gift_id, refund_id=s.refund_id)
        for s in RefundSettlement.objects.filter(**window).select_related(
            "payout", "refund"
        )
    ]
    # Stripe times are to the second: within one, a charge precedes its refunds.
    rows.sort(
        key=lambda row: (
            row["at"],
            row["kind"] == "refund",
            row["stripe_balance_transaction_id"],
        )
    )
    return rows


def _fee_row(settlement, kind, *, gift_id, refund_id):
    payout = settlement.payout
    return {
        "at": timezone.localtime(settlement.stripe_created_at),
        "date": timezone.localdate(settlement.stripe_created_at),
        "kind": kind,
        "gift_id": gift_id,
        "refund_id": refund_id,
        "stripe_balance_transaction_id": settlement.stripe_balance_transaction_id,
        "amount": settlement.amount,
        "fee": settlement.fee,
        "net": settlement.net,
        "stripe_payout_id": payout.stripe_payout_id if payout else "",
        "payout_arrival_date": (
            timezone.localdate(payout.arrival_at) if payout else None
        ),
    }


def payout_lines(since: date, until: date) -> list[dict]:
    """One row per payout arriving over these Paris days, with its totals."""
    start, end = period_bounds(since, until)
    payouts = list(
        Payout.objects.filter(arrival_at__gte=start, arrival_at__lt=end).order_by(
            "arrival_at", "pk"
        )
    )
    return [_payout_row(payout, totals) for payout, totals in _totals(payouts)]


def _totals(payouts):
    """Each payout with the sums of what it paid out, in two queries."""
    sums = defaultdict(lambda: defaultdict(list))
    ids = [payout.pk for payout in payouts]
    for s in GiftSettlement.objects.filter(payout__in=ids):
        sums[s.payout_id]["charges"].append(s)
    for s in RefundSettlement.objects.filter(payout__in=ids):
        sums[s.payout_id]["refunds"].append(s)
    for payout in payouts:
        yield payout, sums[payout.pk]


def _sum(values, currency):
    return sum(values, Money(0, currency))


def _payout_row(payout, settled):
    currency = payout.amount.currency
    charges, refunds = settled["charges"], settled["refunds"]
    net = _sum([s.net for s in charges + refunds], currency)
    return {
        "stripe_payout_id": payout.stripe_payout_id,
        "status": payout.status,
        "created_date": timezone.localdate(payout.created_at),
        "arrival_date": timezone.localdate(payout.arrival_at),
        "amount": payout.amount,
        "gross": _sum([s.amount for s in charges], currency),
        "fees": _sum([s.fee for s in charges + refunds], currency),
        "refunds": _sum([s.amount for s in refunds], currency),
        "net": net,
        "difference": payout.amount - net,
        "charge_count": len(charges),
        "refund_count": len(refunds),
    }


def page_data(*, runs=20, payouts=20, mismatches=200) -> dict:
    """What the reconciliation page shows: the latest of each, open first."""
    recent = list(Payout.objects.order_by("-created_at", "-pk")[:payouts])
    open_mismatches = Mismatch.objects.filter(resolved=False)
    return {
        "runs": ReconciliationRun.objects.select_related("actor")[:runs],
        "payouts": [_payout_row(p, totals) for p, totals in _totals(recent)],
        "mismatches": open_mismatches[:mismatches],
        "open_count": open_mismatches.count(),
        "resolved_count": Mismatch.objects.filter(resolved=True).count(),
    }
