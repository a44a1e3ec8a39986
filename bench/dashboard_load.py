"""The staff dashboard's JSON at 1,000,000 gifts, against what it avoids.

    .venv/bin/python -m bench.dashboard_load

Database ``mecene_bench_dashboard`` (dropped first, dropped at the end) gets
one campaign with 1,000,000 paid gifts over 200 days, every method, a tenth
from monthly gifts and a third with a UTM source; ``rebuild_daily_totals``
then fills the stored aggregate the dashboard reads. Timed in-process with
Django's test client, median of several requests:

- the dashboard's data endpoint with its charts cache empty (every figure,
  chart and table recomputed) and with it warm (what each 20-second poll of
  an open page costs);
- the baseline: the same figures summed straight from the gifts table with
  one GROUP BY per figure, which is what the stored aggregate replaces.

The number of queries of each dashboard request is recorded too.
"""

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench import common

DB = "mecene_bench_dashboard"
GIFTS = 1_000_000
CHUNK = 20_000
ROUNDS = 5


def fill(campaign, donors, plan) -> None:
    from djmoney.money import Money

    from payments.models import Gift

    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    methods = ["card", "sepa", "transfer", "cheque", "cash"]
    sources = ["", "", "newsletter", "facebook", "", "alumni"]
    step = timedelta(days=200) / GIFTS
    for first in range(0, GIFTS, CHUNK):
        Gift.objects.bulk_create(
            [
                Gift(
                    donor=donors[i % len(donors)],
                    campaign=campaign,
                    amount=Money(Decimal(10 + i % 490), "EUR"),
                    status=Gift.Status.PAID,
                    method=methods[i % 5],
                    paid_at=start + step * i,
                    recurring=plan if i % 10 == 0 else None,
                    period=f"P{i}" if i % 10 == 0 else "",
                    utm_source=sources[i % 6],
                )
                for i in range(first, min(first + CHUNK, GIFTS))
            ],
            batch_size=5000,
        )
        if first % 200_000 == 0:
            common.log(f"{first + CHUNK:,} gifts")


def naive_figures(campaign) -> None:
    """The dashboard's figures summed from the gifts themselves."""
    from django.db.models import Count, F, Q, Sum
    from django.db.models.functions import TruncDate

    from payments.models import Gift

    gifts = Gift.objects.filter(campaign=campaign, status="paid")
    net = Sum(F("amount") - F("refunded_amount"))
    list(gifts.values("method").annotate(n=Count("pk"), net=net).order_by())
    list(gifts.values("utm_source").annotate(n=Count("pk"), net=net).order_by())
    list(
        gifts.annotate(day=TruncDate("paid_at"))
        .values("day")
        .annotate(n=Count("pk"), net=net)
        .order_by()
    )
    gifts.aggregate(
        one_off=Count("pk", filter=Q(recurring__isnull=True)),
        monthly=Count("pk", filter=Q(recurring__isnull=False)),
        total=net,
    )


def main() -> None:
    common.recreate_db(DB)
    env = common.product_env(
        DB, CACHE_URL="locmem://", ALLOWED_HOSTS="127.0.0.1,testserver"
    )
    common.manage(env, "migrate", "--noinput", "-v", "0")
    common.setup_django(env)

    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from djmoney.money import Money

    from campaigns.models import Campaign
    from donors.services import donor_upsert
    from payments.models import RecurringGift

    campaign = Campaign.objects.create(
        slug="bench",
        status=Campaign.Status.LIVE,
        title_fr="Banc",
        title_en="Bench",
        goal=Money(Decimal("50000000"), "EUR"),
        starts_on="2026-01-01",
        ends_on="2099-12-31",
    )
    donors = [
        donor_upsert(
            email=f"donor{n}@example.org",
            kind="individual",
            first_name="Anne",
            last_name=f"Martin {n}",
            address_line="12 rue des Écoles",
            postal_code="75005",
            city="Paris",
            country="FR",
            language="fr",
        )  # fmt: skip
        for n in range(1000)
    ]
    plan = RecurringGift.objects.create(
        donor=donors[0],
        campaign=campaign,
        amount=Money(Decimal("20.00"), "EUR"),
        method="card",
        status=RecurringGift.Status.ACTIVE,
    )
    common.log(f"{DB}: creating {GIFTS:,} gifts")
    fill(campaign, donors, plan)
    started = time.perf_counter()
    call_command("rebuild_daily_totals", campaign=campaign.slug)
    rebuild_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM dashboard_dailytotal")
        rows = cursor.fetchone()[0]
    user = get_user_model().objects.create_superuser("bench", password=None)
    client = Client()
    client.force_login(user)
    url = f"/staff/dashboard/{campaign.slug}/data.json"

    def request(cold: bool) -> tuple[float, int]:
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        return elapsed, len(queries)

    request(cold=True)  # warm Python and PostgreSQL caches
    cold = [request(cold=True) for _ in range(ROUNDS)]
    warm = [request(cold=False) for _ in range(ROUNDS * 4)]
    naive = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        naive_figures(campaign)
        naive.append(time.perf_counter() - start)

    result = {
        "gifts": GIFTS,
        "daily_total_rows": rows,
        "rebuild_s": rebuild_s,
        "cold_s": common.median([t for t, _q in cold]),
        "warm_s": common.median([t for t, _q in warm]),
        "cold_queries": cold[0][1],
        "warm_queries": warm[0][1],
        "naive_s": common.median(naive),
        "all": {"cold": cold, "warm": warm, "naive": naive},
    }
    result["cold_ratio"] = result["cold_s"] / result["naive_s"]
    result["warm_ratio"] = result["warm_s"] / result["naive_s"]
    common.log(
        f"dashboard at {GIFTS:,} gifts: cold {result['cold_s'] * 1000:.0f} ms, "
        f"warm {result['warm_s'] * 1000:.0f} ms; summing the gifts "
        f"{result['naive_s'] * 1000:.0f} ms"
    )
    common.save("dashboard_load", result)
    from django.db import connections

    connections.close_all()
    common.drop_db(DB)


if __name__ == "__main__":
    main()
