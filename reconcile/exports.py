"""The reconciliation's figures in the shape finance's accounting export reads.

``finance.accounting`` (docs/exports.md) asks for Stripe fees and payouts
between two aware datetimes; this module answers from the stored
settlements and payouts (reconcile.selectors), so the journal shows what
the last reconciliation found, never a fresh call to Stripe.
"""

from datetime import timedelta

from django.utils import timezone

from payments.models import Gift
from reconcile import selectors
from reconcile.models import Payout


def _days(start, end):
    """The Paris days of [start, end)."""
    return timezone.localdate(start), timezone.localdate(
        end - timedelta(microseconds=1)
    )


def fee_lines(start, end) -> list[dict]:
    """One row per settled charge or refund that cost a fee, oldest first."""
    rows = [row for row in selectors.fee_lines(*_days(start, end)) if row["fee"]]
    slugs = dict(
        Gift.objects.filter(pk__in={row["gift_id"] for row in rows}).values_list(
            "pk", "campaign__slug"
        )
    )
    return [
        {
            "at": row["at"],
            "gift_id": row["gift_id"],
            "campaign": slugs.get(row["gift_id"], ""),
            "fee": row["fee"],
            "reference": row["stripe_balance_transaction_id"],
        }
        for row in rows
    ]


def payout_lines(start, end) -> list[dict]:
    """One row per payout arriving in [start, end), oldest first."""
    return [
        {
            "at": payout.arrival_at,
            "amount": payout.amount,
            "reference": payout.stripe_payout_id,
        }
        for payout in Payout.objects.filter(
            arrival_at__gte=start, arrival_at__lt=end
        ).order_by("arrival_at", "pk")
    ]
