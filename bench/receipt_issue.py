"""Receipts: issue 1,000 receipts in-process against rendering their PDFs alone.

    .venv/bin/python -m bench.receipt_issue

Database ``mecene_bench_receipts`` (dropped first) gets the demo campaigns and
donors, then 2,001 paid gifts by bulk_create. The baseline renders 1,000
PDFs with ``render_receipt_pdf`` from snapshots built beforehand (no database
in the timed loop); ``receipt_issue_for_gift`` issues the same 1,000 receipts
(lock, number, snapshot, PDF, file, rows). The two alternate by chunks of
100. The first gift is issued untimed, to warm up and to record the queries
of one issue. Both loops hash each PDF, and the hashes are compared: the two
loops render the same bytes.
Last, 1,000 more gifts are issued by 2 forked processes at once, to see
whether issuing scales with workers (sampling how often one waits for the
other's lock), and the year's numbers are checked for gaps.
"""

import hashlib
import multiprocessing
import random
import resource
import shutil
import time
from datetime import UTC, datetime, timedelta

from bench import common

DB = "mecene_bench_receipts"
COUNT = 1000
CHUNK = 100
WORKERS = 2


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def create_gifts(year: int) -> list[int]:
    from djmoney.money import Money

    from campaigns.models import Campaign
    from donors.models import Donor
    from payments.models import Gift

    campaign = Campaign.objects.get(slug="passeport-jo")
    donors = list(Donor.objects.order_by("pk"))  # individuals and companies
    rng = random.Random(11)
    start = datetime(year, 6, 1, 9, 0, tzinfo=UTC)
    gifts = Gift.objects.bulk_create(
        Gift(
            donor=donors[i % len(donors)],
            campaign=campaign,
            amount=Money(rng.choice(["20", "50", "150.50", "1000", "12345.67"]), "EUR"),
            status=Gift.Status.PAID,
            paid_at=start + timedelta(minutes=i),
        )
        for i in range(2 * COUNT + 1)
    )
    return [gift.pk for gift in gifts]


def issue(ids: list[int]) -> None:
    from django.db import connections

    from receipts.services import receipt_issue_for_gift

    for pk in ids:
        receipt_issue_for_gift(pk, notify=False)
    connections.close_all()


def issue_concurrently(ids: list[int], url: str) -> tuple[float, float]:
    """Issue ``ids`` from WORKERS forked processes.

    Returns the wall seconds and the share of samples (every 20 ms) in which
    an issuing backend was waiting for a lock held by the other.
    """
    import psycopg
    from django.db import connections

    connections.close_all()  # each child opens its own connection
    fork = multiprocessing.get_context("fork")
    procs = [
        fork.Process(target=issue, args=(ids[i::WORKERS],)) for i in range(WORKERS)
    ]
    waiting = samples = 0
    with psycopg.connect(url, autocommit=True) as watch:
        start = time.perf_counter()
        for proc in procs:
            proc.start()
        while any(proc.is_alive() for proc in procs):
            waiting += watch.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0]
            samples += 1
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
    for proc in procs:
        proc.join()
    if any(proc.exitcode != 0 for proc in procs):
        raise RuntimeError("an issuing process failed")
    return elapsed, waiting / max(samples, 1)


def main() -> None:
    env, timings = common.prepare_db(DB, gifts=0)
    shutil.rmtree(common.WORK / "var" / "private", ignore_errors=True)
    common.setup_django(env)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from payments.models import Gift
    from receipts.models import Receipt
    from receipts.pdf import render_receipt_pdf
    from receipts.services import receipt_build_snapshot, receipt_issue_for_gift

    year = timezone.localdate().year - 1
    ids = create_gifts(year)
    warmup, timed_ids, parallel_ids = ids[0], ids[1 : COUNT + 1], ids[COUNT + 1 :]
    # The snapshots the service will build: numbers 2..1001 of the year
    # (number 1 goes to the warm-up gift), issued today.
    gifts = Gift.objects.select_related("donor", "campaign").in_bulk(timed_ids)
    today = timezone.localdate()
    snapshots = [
        receipt_build_snapshot(gifts[pk], number=f"{year}-{n:06d}", issued_on=today)
        for n, pk in enumerate(timed_ids, start=2)
    ]
    render_receipt_pdf(snapshots[0])  # registers the TrueType fonts
    with CaptureQueriesContext(connection) as ctx:
        receipt_issue_for_gift(warmup, notify=False)
    issue_sql = [q["sql"][:160] for q in ctx]
    rss = {"after_setup": peak_rss_mb()}

    # Rendering and issuing alternate by chunks of CHUNK, so that both see the
    # same machine (it is shared, and its load drifts during a run).
    common.log(f"rendering and issuing {COUNT} receipts, alternating")
    render_s = issue_s = 0.0
    rendered = []
    for first in range(0, COUNT, CHUNK):
        start = time.perf_counter()
        rendered += [
            hashlib.sha256(render_receipt_pdf(s)).hexdigest()
            for s in snapshots[first : first + CHUNK]
        ]
        render_s += time.perf_counter() - start
        start = time.perf_counter()
        for pk in timed_ids[first : first + CHUNK]:
            receipt_issue_for_gift(pk, notify=False)
        issue_s += time.perf_counter() - start
    rss["after_issue"] = peak_rss_mb()

    common.log(f"issuing {COUNT} more receipts from {WORKERS} processes")
    parallel_s, lock_wait = issue_concurrently(parallel_ids, env["DATABASE_URL"])
    numbers = sorted(
        Receipt.objects.filter(year=year).values_list("sequence_number", flat=True)
    )

    issued = dict(
        Receipt.objects.filter(gift_id__in=timed_ids).values_list(
            "gift_id", "pdf_sha256"
        )
    )
    same = sum(
        issued.get(pk) == digest for pk, digest in zip(timed_ids, rendered, strict=True)
    )
    pdf_dir = common.WORK / "var" / "private" / "receipts"
    pdf_bytes = sum(p.stat().st_size for p in pdf_dir.rglob("*.pdf"))

    connection.close()
    common.drop_db(DB)
    shutil.rmtree(common.WORK / "var" / "private", ignore_errors=True)
    common.save(
        "receipt_issue",
        {
            "setup": timings,
            "count": COUNT,
            "render_only_s": render_s,
            "issue_s": issue_s,
            "workers": WORKERS,
            "parallel_issue_s": parallel_s,
            "parallel_lock_wait_share": lock_wait,
            "numbers_gap_free": numbers == list(range(1, 2 * COUNT + 2)),
            "identical_pdfs": same,
            "mean_pdf_kb": pdf_bytes / len(numbers) / 1024,
            "queries_per_issue": len(issue_sql),
            "issue_sql": issue_sql,
            "peak_rss_mb": rss,
        },
    )


if __name__ == "__main__":
    main()
