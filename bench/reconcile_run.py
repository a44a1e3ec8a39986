"""Reconciliation: one run over 300 charges against the Stripe reads alone.

    .venv/bin/python -m bench.reconcile_run

Database ``mecene_bench_reconcile`` (dropped first) gets the demo campaigns
and 300 paid gifts (``BENCH_RECONCILE_CHARGES``), each with its own
PaymentIntent charged in a fake Stripe started here on a free 127.0.0.1 port
(``devtools.fake_stripe``); 1 gift in 10 is half refunded from Mécène, and
the balance is paid out. The
baseline is the same Stripe reads the run makes (balance transactions with
their charges, payouts, the payout's transactions) without touching the
database. Then the run, then the same run again (nothing new to store), in
three interleaved rounds (``BENCH_RECONCILE_ROUNDS``); times are medians.
"""

import os
import statistics
import time
from datetime import timedelta

from bench import common

DB = "mecene_bench_reconcile"
CHARGES = int(os.environ.get("BENCH_RECONCILE_CHARGES", "300"))
REFUND_EVERY = 10
ROUNDS = int(os.environ.get("BENCH_RECONCILE_ROUNDS", "3"))


def charge_in_stripe(client) -> list[str]:
    intents = []
    for i in range(CHARGES):
        intent = client.v1.payment_intents.create(
            params={
                "amount": 5000 + i,
                "currency": "eur",
                "payment_method": "pm_card_visa",
                "payment_method_types": ["card"],
                "confirm": True,
            }
        )
        intents.append(intent.id)
    return intents


def create_gifts(intents: list[str]) -> None:
    from decimal import Decimal

    from django.utils import timezone
    from djmoney.money import Money

    from campaigns.models import Campaign
    from donors.models import Donor
    from payments.models import Gift

    campaign = Campaign.objects.order_by("pk").first()
    donor = Donor.objects.order_by("pk").first()
    now = timezone.now()
    Gift.objects.bulk_create(
        Gift(
            donor=donor,
            campaign=campaign,
            amount=Money(Decimal(5000 + i) / 100, "EUR"),
            status=Gift.Status.PAID,
            paid_at=now,
            stripe_payment_intent_id=pi,
        )
        for i, pi in enumerate(intents)
    )


def refund_in_stripe_and_record(client, intents: list[str]) -> None:
    from payments.models import Gift
    from payments.refunds import gift_refund

    for pi in intents[::REFUND_EVERY]:
        gift = Gift.objects.get(stripe_payment_intent_id=pi)
        gift_refund(gift.pk, amount=gift.amount.amount / 2, reason="bench")


def stripe_reads_only(since) -> int:
    from payments import gateway
    from reconcile.services import CHARGE_LOOKBEHIND, period_bounds

    start, end = period_bounds(since, since)
    count = len(
        list(
            gateway.balance_transactions_list(
                created_from=start - CHARGE_LOOKBEHIND, created_before=end
            )
        )
    )
    for payout in gateway.payouts_list(created_from=start, created_before=end):
        count += len(list(gateway.payout_balance_transactions(payout.id)))
    return count


def reconcile(since):
    from reconcile.services import reconciliation_run, reconciliation_start

    run = reconciliation_start(since=since)
    return reconciliation_run(run.pk)


def main() -> None:
    from devtools.stripe_server import pay_out, start_fake_stripe, stop

    fake = start_fake_stripe(common.free_port())
    try:
        env, timings = common.prepare_db(DB, gifts=0)
        env["STRIPE_API_BASE"] = fake.base_url
        env["STRIPE_MAX_NETWORK_RETRIES"] = "0"
        common.setup_django(env)
        import stripe
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from reconcile.models import GiftSettlement, Mismatch

        client = stripe.StripeClient(
            "sk_test_local", base_addresses={"api": fake.base_url}
        )
        common.log(f"{CHARGES} charges in the fake Stripe")
        started = time.perf_counter()
        intents = charge_in_stripe(client)
        create_gifts(intents)
        refund_in_stripe_and_record(client, intents)
        payout = pay_out(fake.base_url)
        timings["stripe_and_gifts_s"] = time.perf_counter() - started
        today = timezone.localdate()

        reads, first, again = [], [], []
        for n in range(ROUNDS):
            common.log(f"round {n + 1}/{ROUNDS}")
            t = time.perf_counter()
            lines = stripe_reads_only(today)
            reads.append(time.perf_counter() - t)
            common.log(f"Stripe reads: {reads[-1]:.1f} s")

            t = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                run = reconcile(today)
            (first if n == 0 else again).append(time.perf_counter() - t)
            common.log(f"run: {time.perf_counter() - t:.1f} s")
            if n == 0:
                first_queries, first_run = len(queries), run

        settled = GiftSettlement.objects.filter(payout__isnull=False).count()
        mismatches = Mismatch.objects.count()
        connection.close()
    finally:
        stop(fake)
    common.drop_db(DB)

    read_s = statistics.median(reads)
    common.save(
        "reconcile_run",
        {
            "setup": timings,
            "charges": CHARGES,
            "refunds": len(range(0, CHARGES, REFUND_EVERY)),
            "lines_read": lines,
            "payout_amount_minor": payout["amount"],
            "stripe_reads_s": read_s,
            "first_run_s": first[0],
            "rerun_s": statistics.median(again),
            "first_run_queries": first_queries,
            "transactions": first_run.transaction_count,
            "matched": first_run.matched_count,
            "settled_with_payout": settled,
            "mismatches": mismatches,
            "lookbehind": str(timedelta(hours=1)),
        },
    )


if __name__ == "__main__":
    main()
