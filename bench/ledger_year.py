"""The scholarship ledger of a year against one plain SUM of the same gifts.

Fills the demo's Olympic campaign with GIFTS gifts in YEAR (half designated
to its athletes) and a fifth as many in YEAR + 1, closes YEAR, then times in
this process, median of RUNS each:

- ``sum``: the baseline, one SELECT SUM over the campaign's gifts of the year;
- ``open_year``: ``year_ledger`` of a year with no closed year before it;
- ``after_close``: ``year_ledger`` of YEAR + 1, which also sums the closed
  year again to find late changes;
- ``closed_year``: ``year_ledger`` of the closed YEAR (frozen rows plus one
  sum for the late-change notice).

Figures are ratios to ``sum`` measured in the same run; nothing asserts a time.
"""

import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench import common

DB = "mecene_bench_ledger"
GIFTS = 100_000
YEAR = 2024
RUNS = 7


def populate() -> dict:
    from django.db import connection
    from djmoney.money import Money

    from campaigns.models import Campaign
    from donors.models import Donor
    from payments.models import Gift

    rng = random.Random(5)
    start = time.perf_counter()
    olympic = Campaign.objects.get(slug="passeport-jo")
    Campaign.objects.filter(pk=olympic.pk).update(starts_on=f"{YEAR}-01-01")
    athletes = list(olympic.beneficiaries.all())
    donor = Donor.objects.create(
        email="bench.ledger@example.org", kind="individual", last_name="Bench"
    )
    for year, count in ((YEAR, GIFTS), (YEAR + 1, GIFTS // 5)):
        year_start = datetime(year, 1, 1, tzinfo=UTC)
        Gift.objects.bulk_create(
            (
                Gift(
                    donor=donor,
                    campaign=olympic,
                    beneficiary=rng.choice(athletes) if i % 2 else None,
                    amount=Money(rng.choice(["20", "50", "150.50", "1000"]), "EUR"),
                    refunded_amount=Money(Decimal("5") if i % 40 == 0 else 0, "EUR"),
                    status="paid",
                    paid_at=year_start + timedelta(seconds=rng.randrange(360 * 86400)),
                )
                for i in range(count)
            ),
            batch_size=5000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"populate_s": time.perf_counter() - start}


def timed(function) -> dict:
    runs = []
    for _ in range(RUNS):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return {"median_s": common.median(runs), "runs_s": runs}


def main() -> None:
    env, timings = common.prepare_db(DB, gifts=0)
    common.setup_django(env)
    common.log(f"creating {GIFTS} + {GIFTS // 5} gifts")
    timings.update(populate())

    from django.db import connection
    from django.db.models import Sum
    from django.test.utils import CaptureQueriesContext

    from campaigns.models import Campaign
    from ledger.selectors import year_ledger
    from ledger.services import ledger_close_year
    from payments.models import Gift

    olympic = Campaign.objects.get(slug="passeport-jo")

    def plain_sum():
        return Gift.objects.filter(
            campaign=olympic,
            status="paid",
            paid_at__gte=datetime(YEAR, 1, 1, tzinfo=UTC),
            paid_at__lt=datetime(YEAR + 1, 1, 1, tzinfo=UTC),
        ).aggregate(total=Sum("amount"))

    figures = {"sum": timed(plain_sum)}
    figures["open_year"] = timed(lambda: year_ledger(olympic, YEAR))
    ledger_close_year(campaign_id=olympic.pk, year=YEAR)
    figures["after_close"] = timed(lambda: year_ledger(olympic, YEAR + 1))
    figures["closed_year"] = timed(lambda: year_ledger(olympic, YEAR))
    queries = {}
    for name, year in (("after_close", YEAR + 1), ("closed_year", YEAR)):
        with CaptureQueriesContext(connection) as captured:
            year_ledger(olympic, year)
        queries[name] = len(captured)
    base = figures["sum"]["median_s"]
    ratios = {
        name: figures[name]["median_s"] / base
        for name in ("open_year", "after_close", "closed_year")
    }
    for name, ratio in ratios.items():
        common.log(f"{name}: {ratio:.2f}× the plain sum")
    beneficiaries = olympic.beneficiaries.count()
    connection.close()
    common.drop_db(DB)
    common.save(
        "ledger_year",
        {
            "setup": timings,
            "gifts": {"year": GIFTS, "next_year": GIFTS // 5},
            "beneficiaries": beneficiaries,
            "timings": figures,
            "ratios": ratios,
            "queries": queries,
        },
    )


if __name__ == "__main__":
    main()
