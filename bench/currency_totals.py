"""Campaign totals rebuilt with gifts in four currencies, against euros only.

    .venv/bin/python -m bench.currency_totals

Database ``mecene_bench_currency`` (dropped first, dropped at the end) gets
two euro campaigns with 20,000 paid gifts each. The baseline campaign's
gifts are all in EUR, so ``campaign_recompute_totals`` sums them in SQL.
The other's are a quarter each EUR, CZK, PLN and DKK, with their stored euro
amounts and 5 % partly refunded, so three quarters are valued one by one in
Python from the stored amounts (``campaigns.valuation``). Both rebuilds run
5 times, alternating; the figure is the median, as a ratio to the baseline.
Each rebuild includes the campaign's daily dashboard rows. A last rebuild
checks that the mixed total does not move.
"""

import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench import common

DB = "mecene_bench_currency"
GIFTS = 20_000
ROUNDS = 5
RATES = {"CZK": Decimal("25.125"), "PLN": Decimal("4.2175"), "DKK": Decimal("7.4601")}


def make_campaign(slug: str):
    from djmoney.money import Money

    from campaigns.models import Campaign

    return Campaign.objects.create(
        slug=slug,
        status=Campaign.Status.LIVE,
        title_fr=slug,
        title_en=slug,
        goal=Money(Decimal("5000000"), "EUR"),
        starts_on="2026-01-01",
        ends_on="2099-12-31",
    )


def fill(campaign, donors, currencies: list[str], rng: random.Random) -> None:
    from djmoney.money import Money

    from payments.models import Gift

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    rows = []
    for i in range(GIFTS):
        code = currencies[i % len(currencies)]
        amount = Money(Decimal(rng.choice(["20", "50", "150.50", "1000"])), code)
        refunded = Money(amount.amount / 4 if i % 20 == 0 else 0, code)
        euros = None
        if code != "EUR":
            # Stored as the payment would have stored it, without the lookup.
            euros = Money(
                (amount.amount / RATES[code]).quantize(Decimal("0.01")), "EUR"
            )
        rows.append(
            Gift(
                donor=donors[i % len(donors)],
                campaign=campaign,
                amount=amount,
                amount_eur=euros,
                fx_rate=RATES.get(code),
                refunded_amount=refunded,
                status=Gift.Status.PAID,
                paid_at=start + timedelta(minutes=i),
            )
        )
    Gift.objects.bulk_create(rows, batch_size=2000)


def main() -> None:
    common.recreate_db(DB)
    env = common.product_env(DB)
    common.manage(env, "migrate", "--noinput", "-v", "0")
    common.setup_django(env)

    from campaigns.services import campaign_recompute_totals
    from donors.services import donor_upsert

    rng = random.Random(7)
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
        )
        for n in range(500)
    ]
    euro_only = make_campaign("euros")
    mixed = make_campaign("mixed")
    common.log(f"{DB}: {GIFTS:,} gifts in each of two campaigns")
    fill(euro_only, donors, ["EUR"], rng)
    fill(mixed, donors, ["EUR", "CZK", "PLN", "DKK"], rng)

    timings = {"euro_only_s": [], "mixed_s": []}
    for _ in range(ROUNDS):
        for key, campaign in (("euro_only_s", euro_only), ("mixed_s", mixed)):
            start = time.perf_counter()
            campaign_recompute_totals(campaign.pk)
            timings[key].append(time.perf_counter() - start)
    mixed.refresh_from_db()
    again = campaign_recompute_totals(mixed.pk)
    result = {
        "gifts_per_campaign": GIFTS,
        "rounds": ROUNDS,
        "euro_only_s": common.median(timings["euro_only_s"]),
        "mixed_s": common.median(timings["mixed_s"]),
        "all_s": timings,
        "mixed_raised": str(mixed.raised.amount),
        "rebuild_stable": again.raised == mixed.raised,
    }
    result["ratio"] = result["mixed_s"] / result["euro_only_s"]
    common.log(
        f"rebuild: euros only {result['euro_only_s']:.3f} s, four currencies "
        f"{result['mixed_s']:.3f} s, ratio {result['ratio']:.2f}"
    )
    common.save("currency_totals", result)
    from django.db import connections

    connections.close_all()
    common.drop_db(DB)


if __name__ == "__main__":
    main()
