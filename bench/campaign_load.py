"""Campaign page under load, as a ratio to the bare stack in the same run.

    .venv/bin/python -m bench.campaign_load

Builds the database ``mecene_bench`` (dropped first) with 2,000 demo gifts,
serves the product and a bare Django baseline with gunicorn (2 sync workers
each) and loads each page with ``wrk -t2 -c32 -d10s``, alternating with
the baseline's one-query page so that every figure has a baseline on each
side. Then counts the queries of the campaign, donate and donor wall pages at
2,000 and at 20,000 gifts (the totals are stored and the wall reads one page
by index, so the counts must not move) and loads the campaign and wall pages
once more at 20,000 gifts.
"""

import os
import random
from datetime import timedelta

from bench import common

# Overridable so that two worktrees can measure at the same time.
DB = os.environ.get("BENCH_CAMPAIGN_DB", "mecene_bench")
SLUG = "passeport-jo"
PAGES = {
    "campaign": f"/campaigns/{SLUG}/",
    "donate": f"/campaigns/{SLUG}/donate/",
    # The donor wall's own page: 30 gifts and the paginator's count.
    "wall": f"/campaigns/{SLUG}/wall/",
}


def count_queries(repeat: int = 50) -> dict:
    """Queries of each page (warm), and its mean time in-process.

    The time, from Django's test client in this one process, is the cost of
    a request without gunicorn, HTTP or concurrency around it: the best of
    three rounds of ``repeat`` requests.
    """
    import time

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    pages = {}
    for name, path in PAGES.items():
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        # Read now: the next request's request_started clears the query log.
        sql = [q["sql"] for q in ctx]
        rounds = []
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(repeat):
                client.get(path)
            rounds.append((time.perf_counter() - start) / repeat * 1000)
        pages[name] = {"queries": len(sql), "in_process_ms": min(rounds), "sql": sql}
    return pages


def grow_to(total: int) -> dict:
    """Bulk-create paid gifts on the campaign until the table holds ``total``."""
    import time

    from django.utils import timezone
    from djmoney.money import Money

    from campaigns.models import Campaign
    from campaigns.services import campaign_recompute_totals
    from donors.models import Donor
    from payments.models import Gift

    campaign = Campaign.objects.get(slug=SLUG)
    donors = list(Donor.objects.all())
    rng = random.Random(7)
    now = timezone.now()
    missing = total - Gift.objects.count()
    start = time.perf_counter()
    Gift.objects.bulk_create(
        (
            Gift(
                donor=rng.choice(donors),
                campaign=campaign,
                amount=Money(rng.choice([20, 50, 100, 500]), "EUR"),
                status=Gift.Status.PAID,
                paid_at=now - timedelta(minutes=i),
            )
            for i in range(missing)
        ),
        batch_size=5000,
    )
    inserted = time.perf_counter() - start
    start = time.perf_counter()
    campaign = campaign_recompute_totals(campaign.pk)
    return {
        "gifts_in_table": Gift.objects.count(),
        "campaign_gift_count": campaign.gift_count,
        "bulk_create_s": inserted,
        "recompute_totals_s": time.perf_counter() - start,
    }


def main() -> None:
    env, timings = common.prepare_db(DB, gifts=2000)
    base_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.baseline.settings"}
    common.setup_django({**env, "ALLOWED_HOSTS": "127.0.0.1,testserver"})
    from campaigns.models import Campaign
    from payments.models import Gift

    loads, pk_runs, sizes = {}, [], {}

    def measure(name: str, url: str) -> None:
        """Load ``url``, then the one-query baseline again.

        Each product figure is divided by the mean of the baseline runs just
        before and just after it: the machine drifts during a run.
        """
        loads[name] = common.wrk(url)
        pk_runs.append(common.wrk(bare + "/tiny-pk/"))
        before, after = pk_runs[-2], pk_runs[-1]
        loads[name]["baseline_rps"] = (before["rps"] + after["rps"]) / 2
        loads[name]["baseline_p99_ms"] = (before["p99_ms"] + after["p99_ms"]) / 2

    with (
        common.gunicorn("baseline", "bench.baseline.wsgi", base_env, "/tiny/") as bare,
        common.gunicorn("product", "mecene.wsgi", env, PAGES["campaign"]) as product,
    ):
        pk_runs.append(common.wrk(bare + "/tiny-pk/"))
        measure("baseline_tiny", bare + "/tiny/")
        for name, path in PAGES.items():
            measure(f"{name}_2k", product + path)

        sizes["2k"] = {
            "gifts_in_table": Gift.objects.count(),
            "campaign_gift_count": Campaign.objects.get(slug=SLUG).gift_count,
            "pages": count_queries(),
        }
        common.log("growing to 20,000 gifts")
        sizes["20k"] = grow_to(20_000)
        sizes["20k"]["pages"] = count_queries()
        measure("campaign_20k", product + PAGES["campaign"])
        measure("wall_20k", product + PAGES["wall"])

    from django.db import connections

    connections.close_all()
    common.drop_db(DB)
    common.save(
        "campaign_load",
        {"setup": timings, "wrk": loads, "baseline_pk_runs": pk_runs, "queries": sizes},
    )


if __name__ == "__main__":
    main()
