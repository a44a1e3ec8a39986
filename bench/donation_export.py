"""Export: ``manage.py export_donations`` on 200,000 gifts against COPY.

    .venv/bin/python -m bench.donation_export

Database ``mecene_bench_export`` (dropped first) gets the demo campaigns,
10,000 donors, 200,000 gifts paid in one year and a receipt row for each
(bulk_create; receipt rows carry no PDF). Three commands run as subprocesses
under ``/usr/bin/time -v``, in three interleaved rounds (median wall time,
peak RSS): the product's command, the same command on an empty year (its
fixed start-up cost), and ``bench/copy_export.py``. Both files are then parsed and compared
row by row.
"""

import csv
import random
from datetime import UTC, datetime, timedelta

from bench import common

DB = "mecene_bench_export"
YEAR = 2025
GIFTS = 200_000
DONORS = 10_000
RUNS = 3


FIRST = ["Marie", "Élodie", "Jean-Baptiste", "Łukasz", "Mette", "Zoé", "Hugo"]
LAST = ["Lefèvre", "Dvořák", "Nowak", "Ørsted", "Moreau", "Durand", "O'Brien"]


def bench_donor(i: int, rng: random.Random):
    """One donor in ten is a company; names carry accents and quotes."""
    from donors.models import Donor

    shared = {
        "email": f"bench-{i}@example.org",
        "address_line": f"{i} rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
    }
    if i % 10 == 0:
        return Donor(
            kind="company",
            company_name=f"Entreprise {i}, SAS",
            legal_form="SAS",
            siren="909722233",
            **shared,
        )
    return Donor(
        kind="individual",
        first_name=rng.choice(FIRST),
        last_name=rng.choice(LAST),
        **shared,
    )


def populate() -> dict:
    import time

    from django.db import connection
    from djmoney.money import Money

    from campaigns.models import Beneficiary, Campaign
    from donors.models import Donor
    from payments.models import Gift
    from receipts.models import Receipt

    rng = random.Random(3)
    start = time.perf_counter()
    donors = Donor.objects.bulk_create(
        (bench_donor(i, rng) for i in range(DONORS)), batch_size=5000
    )
    campaigns = list(Campaign.objects.all())
    beneficiaries = [None, None, *Beneficiary.objects.all()]
    year_start = datetime(YEAR, 1, 1, tzinfo=UTC) - timedelta(hours=1)  # Paris
    seconds = 365 * 86400
    for batch in range(0, GIFTS, 20_000):
        gifts = Gift.objects.bulk_create(
            (
                Gift(
                    donor=rng.choice(donors),
                    campaign=campaigns[i % 2],
                    beneficiary=rng.choice(beneficiaries) if i % 2 == 0 else None,
                    amount=Money(rng.choice(["20", "50", "150.50", "1000"]), "EUR"),
                    status="refunded" if i % 50 == 0 else "paid",
                    anonymous=i % 5 == 0,
                    paid_at=year_start + timedelta(seconds=rng.randrange(seconds)),
                    stripe_payment_intent_id=f"pi_bench_{i}",
                )
                for i in range(batch, batch + 20_000)
            ),
            batch_size=5000,
        )
        Receipt.objects.bulk_create(
            (
                Receipt(
                    number=f"{YEAR}-{gift.pk:06d}",
                    year=YEAR,
                    sequence_number=gift.pk,
                    gift=gift,
                    amount=gift.amount,
                    issued_at=gift.paid_at,
                    form_code="2041-RD",
                    form_version="11580*05",
                    snapshot={},
                    pdf=f"receipts/{YEAR}/{gift.pk}.pdf",
                )
                for gift in gifts
            ),
            batch_size=5000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"populate_s": time.perf_counter() - start}


def run(commands: dict[str, list[str]], env: dict[str, str]) -> dict:
    """Run every command once per round, RUNS rounds, interleaved.

    Interleaving lets all three see the same machine; the median wall time
    and the highest peak RSS of each are kept.
    """
    runs = {name: [] for name in commands}
    for round_ in range(RUNS):
        for name, command in commands.items():
            common.log(f"round {round_ + 1}/{RUNS}: {name}")
            runs[name].append(common.timed(command, env))
    return {
        name: {
            "wall_s": common.median(r["wall_s"] for r in results),
            "max_rss_mb": max(r["max_rss_mb"] for r in results),
            "runs_s": [r["wall_s"] for r in results],
        }
        for name, results in runs.items()
    }


def compare(product: str, floor: str) -> dict:
    with open(product, newline="") as a, open(floor, newline="") as b:
        rows_a, rows_b = list(csv.reader(a)), list(csv.reader(b))
    differ = sum(x != y for x, y in zip(rows_a, rows_b, strict=False))
    return {
        "rows": len(rows_a) - 1,
        "copy_rows": len(rows_b) - 1,
        "rows_that_differ": differ + abs(len(rows_a) - len(rows_b)),
    }


def main() -> None:
    env, timings = common.prepare_db(DB, gifts=0)
    common.setup_django(env)
    common.log(f"creating {GIFTS} gifts and their receipt rows")
    timings.update(populate())
    from django.db import connections

    connections.close_all()

    out = common.WORK / "export"
    out.mkdir(parents=True, exist_ok=True)
    manage = [common.PYTHON, "manage.py", "export_donations", "--output"]
    copy = [common.PYTHON, "-m", "bench.copy_export", env["DATABASE_URL"]]
    result = run(
        {
            "empty_year": [*manage, str(out / "empty.csv"), "--year", "2001"],
            "export_donations": [
                *manage,
                str(out / "product.csv"),
                "--year",
                str(YEAR),
            ],
            "copy": [*copy, str(YEAR), str(out / "copy.csv")],
        },
        env,
    )
    check = compare(str(out / "product.csv"), str(out / "copy.csv"))
    common.drop_db(DB)
    common.save(
        "donation_export",
        {
            "setup": timings,
            "gifts": GIFTS,
            "year": YEAR,
            **result,
            "check": check,
            "file_mb": (out / "product.csv").stat().st_size / 2**20,
        },
    )


if __name__ == "__main__":
    main()
