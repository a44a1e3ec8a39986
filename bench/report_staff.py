"""RESULTS.md sections of the staff and finance benchmarks (bench/report.py
writes the file): offline gifts, ledger, reconciliation, currencies, finance
exports and the dashboard."""

import os


def offline(d: dict) -> list[str]:
    n, card, post = d["count"], d["card_mark_paid_s"], d["batch_post_s"]
    return [
        "## 4. Offline gifts",
        "",
        f"{n:,} card gifts marked paid one by one with `gift_mark_paid` (the "
        "step after Stripe's answer, no Stripe call) against "
        f"{n:,} cheques posted with `batch_post` in batches of {d['chunk']} lines, "
        "each line for an existing donor. Same campaign, alternating chunks; "
        "receipts are queued to an in-memory broker, never issued.",
        "",
        "| Path | time | ms per gift | ÷ card |",
        "|---|---:|---:|---:|",
        f"| Card gift marked paid (baseline) | {card:.1f} s | {card / n * 1000:.1f} "
        "| 1.00 |",
        f"| Cheque posted in a batch | {post:.1f} s | {post / n * 1000:.1f} | "
        f"{post / card:.2f} |",
        "",
        f"- {d['queries_per_10_line_post']} statements to post 10 lines "
        "(checks, donor locks, one gift, its events and the totals per line).",
        f"- Check: {d['check']['cheques_paid']:,} cheques and "
        f"{d['check']['card_paid']:,} card gifts paid; the campaign counts "
        f"{d['check']['campaign_gift_count']:,}.",
        "",
        "**Reading.** A posted cheque costs about what a card payment's "
        "confirmation costs, because both go through the same totals, history "
        "and receipt queueing; a batch of a hundred cheques posts in a few "
        "seconds at most, inside one transaction that holds the campaign's row, "
        "so card payments to that campaign wait that long.",
        "",
    ]


def ledger(d: dict) -> list[str]:
    t, r = d["timings"], d["ratios"]
    return [
        "## 5. Scholarship ledger",
        "",
        f"{d['gifts']['year']:,} gifts in one year and {d['gifts']['next_year']:,} "
        f"in the next, half designated to {d['beneficiaries']} athletes; "
        "`ledger.selectors.year_ledger` timed in-process, median of "
        f"{len(t['sum']['runs_s'])} runs, against one plain `SUM` over the "
        "year's gifts of the campaign (`bench/ledger_year.py`).",
        "",
        "| Read | median ms | ÷ plain SUM | queries |",
        "|---|---:|---:|---:|",
        f"| plain `SUM(amount)` of the year (baseline) | "
        f"{t['sum']['median_s'] * 1000:.0f} | 1.00 | 1 |",
        f"| open year, nothing closed before | {t['open_year']['median_s'] * 1000:.0f} "
        f"| {r['open_year']:.2f} | |",
        f"| open year after a closed one | {t['after_close']['median_s'] * 1000:.0f} "
        f"| {r['after_close']:.2f} | {d['queries']['after_close']} |",
        f"| closed year (frozen rows) | {t['closed_year']['median_s'] * 1000:.0f} "
        f"| {r['closed_year']:.2f} | {d['queries']['closed_year']} |",
        "",
        "**Reading.** The ledger is a grouped sum of the year's gifts: about twice "
        "a bare sum, because of the tax-date filter and the per-currency value. "
        "After a closing it also sums the closed years again to find late "
        "changes, so that cost grows with the number of closed years. Public "
        "pages read it from the cache (five minutes).",
        "",
    ]


def reconciliation(d: dict) -> list[str]:
    # Each transaction is read twice (the day's list, then its payout's).
    per_line_ms = (d["first_run_s"] - d["stripe_reads_s"]) / d["transactions"] * 1e3
    return [
        "## 6. Stripe reconciliation",
        "",
        f"{d['charges']:,} paid gifts charged in the fake Stripe, {d['refunds']} "
        "of them half refunded from Mécène, then one payout of the whole balance. "
        "The baseline is the same Stripe reads the run makes (balance transactions "
        "with their charges expanded, the payouts, the payout's transactions), "
        "without the database. Times are medians of interleaved rounds.",
        "",
        "| Path | wall s | ÷ Stripe reads |",
        "|---|---:|---:|",
        f"| Stripe reads only (baseline, {d['lines_read']:,} lines) | "
        f"{d['stripe_reads_s']:.2f} | 1.00 |",
        f"| First run (stores {d['matched']:,} settlements) | {d['first_run_s']:.2f} "
        f"| {d['first_run_s'] / d['stripe_reads_s']:.2f} |",
        f"| Same days again (nothing new) | {d['rerun_s']:.2f} | "
        f"{d['rerun_s'] / d['stripe_reads_s']:.2f} |",
        "",
        f"- Database work: {per_line_ms:.1f} ms per balance transaction, "
        f"{d['first_run_queries']:,} queries in the first run "
        f"({d['first_run_queries'] / d['transactions']:.1f} per transaction).",
        f"- Check: {d['transactions']:,} transactions read, {d['matched']:,} "
        f"matched, {d['settled_with_payout']:,} gift settlements tied to the "
        f"payout, {d['mismatches']} mismatches. The first run is one "
        "measurement (round 1); the re-runs are the median of the others.",
        "",
        "**Reading.** The database is the bound, not Stripe: each transaction is "
        "matched one at a time, in its own transaction, with about ten queries "
        "(the gift or refund, its settlement, update-or-create, the mismatch "
        "check); read again from its payout's list, it only gets the payout "
        "linked. A re-run writes nothing new but still makes those reads. A "
        "foundation's day (tens to a few hundred charges) reconciles in seconds, "
        "so this is acceptable today; if volume grows, load each Stripe page's "
        "gifts, refunds and settlements in three queries.",
        "",
    ]


def currency_totals(d: dict) -> list[str]:
    foreign = d["gifts_per_campaign"] * 3 // 4
    return [
        "## 7. Campaign totals in four currencies",
        "",
        f"Two euro campaigns of {d['gifts_per_campaign']:,} paid gifts each "
        "(5 % partly refunded). `campaign_recompute_totals` (campaign totals and "
        f"daily dashboard rows) ran {d['rounds']} times on each, alternating; "
        "medians.",
        "",
        "| Campaign | rebuild s | ÷ euros only |",
        "|---|---:|---:|",
        f"| All gifts in EUR, summed in SQL (baseline) | {d['euro_only_s']:.3f} "
        "| 1.00 |",
        f"| A quarter each in EUR, CZK, PLN, DKK ({foreign:,} valued in Python "
        f"from stored columns) | {d['mixed_s']:.3f} | {d['ratio']:.2f} |",
        "",
        f"- A last rebuild gave the same total: "
        f"{'yes' if d['rebuild_stable'] else 'NO'} ({d['mixed_raised']} EUR).",
        "",
        "**Reading.** Foreign gifts are valued one by one in Python with the "
        "receipt's own rounding, so that live totals, rebuilds and receipts "
        "agree to the cent; doing it in SQL would round differently in rare "
        "half-cent cases. Reading plain columns keeps this to a few "
        "microseconds a gift; loading each gift as a model with Money fields "
        "made the same rebuild about 50× the baseline (first measurement). "
        "A repair tool that runs by hand can afford the ratio.",
        "",
    ]


def finance_export(d: dict) -> list[str]:
    gifts, check, limit = d["gifts"], d["check"], d["limit_mb"]
    copy = d["copy"]
    rows = [
        ("`export_finance gifts` CSV (`,`)", "gifts_csv", gifts),
        ("`export_finance gifts --format xlsx`", "gifts_xlsx", gifts),
        (
            "`export_finance accounting` CSV (`;`), lines",
            "accounting_csv",
            check["accounting_lines"],
        ),
        ("`export_finance gifts` on an empty year (start-up)", "empty_year", None),
        ("`COPY (SELECT …) TO STDOUT` of the gift rows (baseline)", "copy", gifts),
    ]
    out = [
        "## 8. Finance exports at scale",
        "",
        f"{gifts:,} gifts paid in {d['year']} (2% refunded, {d['refunds']:,} refund "
        "rows), each with a receipt row, 10,000 donors. Each command ran once under "
        "`/usr/bin/time -v`, one after the other (`bench/finance_export.py`), on a "
        "shared machine (load average at the end "
        f"{d['loadavg_at_end'][0]:.1f} on {os.cpu_count()} cores), so the times "
        "are rough and the ratios to COPY are what to compare between runs.",
        "",
        "| Path | wall s | rows/s | peak RSS MB | file MB | time ÷ COPY |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, key, count in rows:
        r = d[key]
        rate = f"{count / r['wall_s']:,.0f}" if count else ""
        out.append(
            f"| {label} | {r['wall_s']:.1f} | {rate} | {r['max_rss_mb']:.0f} | "
            f"{r['file_mb']:.0f} | {r['wall_s'] / copy['wall_s']:.1f} |"
        )
    peak = max(d[key]["max_rss_mb"] for key in ("gifts_csv", "gifts_xlsx"))
    peak_all = max(
        d[k]["max_rss_mb"] for k in ("gifts_csv", "gifts_xlsx", "accounting_csv")
    )
    out += [
        "",
        f"Check: {check['rows']:,} CSV rows against {check['copy_rows']:,} from COPY, "
        f"{check['rows_that_differ']} differ once parsed (on the columns both "
        f"have); the XLSX reads back with {check['xlsx_rows']:,} rows; the "
        f"accounting export has {check['accounting_lines']:,} lines, debits "
        f"{'equal' if check['accounting_balanced'] else 'DO NOT equal'} credits.",
        "",
        f"**Reading.** Peak RSS of the gift exports is {peak:.0f} MB "
        f"({peak_all:.0f} MB with the accounting export) against a limit of "
        f"{limit} MB, and stays within "
        f"{peak_all - d['empty_year']['max_rss_mb']:.0f} MB of the start-up "
        "of an empty year: rows come from server-side cursors in chunks of 2,000 "
        "and openpyxl's write-only mode keeps each sheet row in a temporary file, "
        "so memory does not grow with the number of gifts. Time is Python per "
        "row (timestamp parsing, Paris conversion, formatting; for XLSX, "
        "openpyxl building one XML element per cell), not the database. XLSX "
        f"takes {d['gifts_xlsx']['wall_s'] / d['gifts_csv']['wall_s']:.1f}× the "
        "time of the CSV and needs temporary disk while it is written "
        "(openpyxl's uncompressed sheet: about 1 GB was seen for a million "
        "gifts). If memory grows, look for a `list()` or a model instance per "
        "row in `finance/export_datasets.py` or `finance/accounting.py`.",
        "",
    ]
    return out


def dashboard(d: dict) -> list[str]:
    return [
        "## 9. Staff dashboard at a million gifts",
        "",
        f"{d['gifts']:,} paid gifts over 200 days in one campaign, all methods, a "
        "tenth from a monthly gift and a third with a UTM source; "
        f"`rebuild_daily_totals` turned them into {d['daily_total_rows']:,} "
        f"stored rows in {d['rebuild_s']:.1f} s. The dashboard's JSON endpoint, "
        "timed in-process with Django's test client (median), against the same "
        "figures summed straight from the gifts table (the baseline it avoids).",
        "",
        "| Request | time | queries | ÷ summing the gifts |",
        "|---|---:|---:|---:|",
        f"| Summing the gifts (baseline) | {d['naive_s'] * 1000:.0f} ms | 4 | 1.00 |",
        f"| Dashboard, charts recomputed | {d['cold_s'] * 1000:.0f} ms | "
        f"{d['cold_queries']} | {d['cold_ratio']:.3f} |",
        f"| Dashboard poll, charts cached | {d['warm_s'] * 1000:.0f} ms | "
        f"{d['warm_queries']} | {d['warm_ratio']:.3f} |",
        "",
        "**Reading.** The page reads the stored daily rows (one per day, method, "
        "kind and source), never the gifts, so its cost follows the number of "
        "days and sources, not of gifts; the open page's poll every 20 s reuses "
        "the charts until a gift is paid or refunded.",
        "",
    ]
