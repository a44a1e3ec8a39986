"""Offline gifts: posting batches against confirming as many card gifts.

    .venv/bin/python -m bench.offline_post

Database ``mecene_bench_offline`` (dropped first) gets the demo campaigns and
donors. The baseline marks pending card gifts paid one by one with
``gift_mark_paid`` under their row lock, as the charge or the webhook does
once Stripe has answered (no Stripe call in the loop). The product posts
batches of CHUNK cheque lines, each line for a donor chosen by staff, with
``batch_post``. Both make COUNT paid gifts for the same campaign, in
alternating chunks so that both see the same machine; receipts are queued
to an in-memory broker and never issued. The statements of one 10-line post
are recorded.
"""

import datetime
import time
from decimal import Decimal

from bench import common

DB = "mecene_bench_offline"
COUNT = 1000
CHUNK = 100


def make_batch(campaign, donors, lines: int, offset: int):
    from djmoney.money import Money

    from donors.services import DONOR_FIELDS
    from offline.models import Batch, BatchLine

    amounts = [Money(Decimal(20 + (offset + n) % 7 * 25), "EUR") for n in range(lines)]
    batch = Batch.objects.create(
        campaign=campaign,
        expected_count=lines,
        expected_total=sum(amounts, Money(0, "EUR")),
    )
    BatchLine.objects.bulk_create(
        BatchLine(
            batch=batch,
            method="cheque",
            amount=amount,
            received_on=datetime.date(2026, 3, 2),
            cheque_number=f"{offset + n:07d}",
            cheque_date=datetime.date(2026, 2, 27),
            donor_choice="existing",
            donor=donor,
            **{field: getattr(donor, field) for field in DONOR_FIELDS},
        )
        for n, (amount, donor) in enumerate(
            zip(amounts, donors[offset : offset + lines], strict=True)
        )
    )
    return batch


def make_pending(campaign, donors, count: int, offset: int) -> list:
    from djmoney.money import Money

    from payments.models import Gift

    return Gift.objects.bulk_create(
        Gift(
            donor=donor,
            campaign=campaign,
            amount=Money(Decimal(20 + (offset + n) % 7 * 25), "EUR"),
            stripe_payment_intent_id=f"pi_bench_{offset + n}",
        )
        for n, donor in enumerate(donors[offset : offset + count])
    )


def mark_paid(gifts) -> None:
    from django.db import transaction

    from payments.currency import to_minor_units
    from payments.gateway import IntentState
    from payments.models import Gift
    from payments.services import gift_mark_paid

    for gift in gifts:
        intent = IntentState(
            id=gift.stripe_payment_intent_id,
            status="succeeded",
            client_secret="",
            amount_minor=to_minor_units(gift.amount),
            currency="EUR",
        )
        with transaction.atomic():
            locked = Gift.objects.select_for_update().get(pk=gift.pk)
            gift_mark_paid(locked, intent, source="bench")


def main() -> None:
    env, timings = common.prepare_db(DB, gifts=0)
    common.setup_django(env)
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaigns.models import Campaign
    from donors.models import Donor
    from offline.services import batch_post
    from payments.models import Gift

    campaign = Campaign.objects.get(slug="passeport-jo")
    actor = User.objects.create_user("bench-treasurer")
    # One donor per gift on each side, so that both count new donors alike.
    Donor.objects.bulk_create(
        Donor(
            kind="individual",
            first_name="Bench",
            last_name=f"Donor {n}",
            email=f"bench-{n}@example.org",
            address_line="1 rue de la Paix",
            postal_code="75002",
            city="Paris",
        )
        for n in range(2 * COUNT + 10)
    )
    donors = list(Donor.objects.filter(email__startswith="bench-").order_by("pk"))
    card_donors, batch_donors = donors[:COUNT], donors[COUNT:]

    warmup = make_batch(campaign, batch_donors, 10, COUNT)
    with CaptureQueriesContext(connection) as ctx:
        batch_post(warmup.pk, actor=actor)
    post_sql = [q["sql"][:160] for q in ctx]

    common.log(f"marking {COUNT} card gifts paid and posting {COUNT} cheques")
    card_s = post_s = 0.0
    for first in range(0, COUNT, CHUNK):
        pending = make_pending(campaign, card_donors, CHUNK, first)
        start = time.perf_counter()
        mark_paid(pending)
        card_s += time.perf_counter() - start

        batch = make_batch(campaign, batch_donors, CHUNK, first)
        start = time.perf_counter()
        batch_post(batch.pk, actor=actor)
        post_s += time.perf_counter() - start

    campaign.refresh_from_db()
    paid = Gift.objects.filter(status="paid")
    check = {
        "card_paid": paid.filter(method="card").count(),
        "cheques_paid": paid.filter(method="cheque").count(),
        "campaign_gift_count": campaign.gift_count,
    }
    connection.close()
    common.drop_db(DB)
    common.save(
        "offline_post",
        {
            "setup": timings,
            "count": COUNT,
            "chunk": CHUNK,
            "card_mark_paid_s": card_s,
            "batch_post_s": post_s,
            "check": check,
            "queries_per_10_line_post": len(post_sql),
            "post_sql": post_sql,
        },
    )


if __name__ == "__main__":
    main()
