"""Write bench/RESULTS.md from bench/results/*.json and this machine.

.venv/bin/python -m bench.report
"""

import json
import os
import platform
import subprocess
import time
from importlib.metadata import version
from pathlib import Path

import psycopg

from bench import common
from bench.report_staff import (
    currency_totals,
    dashboard,
    finance_export,
    ledger,
    offline,
    reconciliation,
)

# Floors of the bare stack, from /work/shared/perf-floors.md (2-core machine).
FLOOR_TINY = (1700, 3000)
FLOOR_PK = (1200, 1300)
FLOOR_PDF_TTF = 110  # docs/s per core, ReportLab with an embedded TrueType font
FLOOR_VALUES_LIST = (90_000, 120_000)  # rows/s, values_list().iterator() + csv
FLOOR_COPY = (800_000, 1_200_000)  # rows/s, COPY (SELECT …) TO STDOUT


def sh(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True).stdout.strip()


NAMES = (
    "campaign_load",
    "receipt_issue",
    "donation_export",
    "offline_post",
    "ledger_year",
    "reconcile_run",
    "currency_totals",
    "finance_export",
    "dashboard_load",
)


def load(name: str) -> dict | None:
    path = common.RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def against(value: float, floor: tuple[float, float]) -> str:
    low, high = floor
    if value < low:
        return f"below the floor ({low:,.0f}–{high:,.0f})"
    if value > high:
        return f"above the floor ({low:,.0f}–{high:,.0f})"
    return f"within the floor ({low:,.0f}–{high:,.0f})"


def machine() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line]
    cpu = models[0] if models else "unknown"
    with psycopg.connect(f"{common.PG}/postgres") as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    measured = {d["code"] for name in NAMES if (d := load(name))}
    return [
        "## Machine and versions",
        "",
        f"- nproc: {os.cpu_count()}; CPU: {cpu}; kernel {platform.release()}",
        f"- load average when this report was written: {os.getloadavg()[0]:.2f} "
        "(1 min); each benchmark also records its own below. The machine is "
        "shared: other jobs (test suites, browsers) may run at the same time, "
        "which is why every product figure is a ratio to a baseline of the same run.",
        "- `free -h`:",
        "",
        "```",
        subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.rstrip(),
        "```",
        "",
        f"- Python {platform.python_version()}, Django {version('django')}, "
        f"gunicorn {version('gunicorn')}, psycopg {version('psycopg')}, "
        f"ReportLab {version('reportlab')}, django-money {version('django-money')}, "
        f"PostgreSQL {pg}, {sh('wrk', '-v').splitlines()[0].split(' Copyright')[0]}",
        f"- Code measured: {'; '.join(sorted(measured)) or 'nothing yet'}.",
        "",
    ]  # fmt: skip


def campaign(d: dict) -> list[str]:
    w, q, pks = d["wrk"], d["queries"], d["baseline_pk_runs"]
    rows = [
        ("Bare Django view, tiny template", "baseline_tiny"),
        ("Campaign page, 2,000 gifts", "campaign_2k"),
        ("Donate page, 2,000 gifts", "donate_2k"),
        ("Campaign page, 20,000 gifts", "campaign_20k"),
        ("Donor wall page, 2,000 gifts", "wall_2k"),
        ("Donor wall page, 20,000 gifts", "wall_20k"),
    ]
    # Results written before the donor wall was measured have no wall rows.
    rows = [(label, key) for label, key in rows if key in w]
    pages = [p for p in ("campaign", "donate", "wall") if p in q["2k"]["pages"]]
    pk_rps = sorted(r["rps"] for r in pks)
    pk_p99 = sorted(r["p99_ms"] for r in pks)
    pk_p50 = sorted(r["p50_ms"] for r in pks)
    out = [
        "## 1. Campaign page under load",
        "",
        "`wrk -t2 -c32 -d10s` (after 2 s of warm-up) against gunicorn, 2 sync "
        "workers, DEBUG off, persistent connections (`CONN_MAX_AGE` 60) for both "
        "the product and the bare baseline. The bare one-query page was loaded "
        f"{len(pks)} times, before and after every other row; each row is divided "
        "by the mean of the baseline runs on either side of it.",
        "",
        "| Target | req/s | p50 ms | p99 ms | req/s ÷ PK baseline "
        "| p99 ÷ PK baseline | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| Bare view + 1 PK SELECT: median of {len(pks)} runs (min–max) | "
        f"{common.median(pk_rps):,.0f} ({pk_rps[0]:,.0f}–{pk_rps[-1]:,.0f}) | "
        f"{common.median(pk_p50):.1f} | {common.median(pk_p99):.1f} "
        f"({pk_p99[0]:.0f}–{pk_p99[-1]:.0f}) | 1.00 | 1.00 | "
        f"{sum(r['non_2xx'] for r in pks)} |",
    ]
    for label, key in rows:
        r = w[key]
        out.append(
            f"| {label} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
            f"{r['rps'] / r['baseline_rps']:.2f} | "
            f"{r['p99_ms'] / r['baseline_p99_ms']:.2f} | {r['non_2xx']} |"
        )
    out += [
        "",
        "Queries per request (Django test client, `CaptureQueriesContext`, warm) "
        "and the time of one request in-process (test client, best of 3 rounds of "
        "50 requests; no gunicorn, no concurrency):",
        "",
        "| Page | queries, 2,000 gifts | queries, 20,000 gifts "
        "| ms in-process, 2,000 | ms in-process, 20,000 |",
        "|---|---:|---:|---:|---:|",
    ]
    for page in pages:
        small, large = q["2k"]["pages"][page], q["20k"]["pages"][page]
        out.append(
            f"| {page} | {small['queries']} | {large['queries']} | "
            f"{small['in_process_ms']:.1f} | {large['in_process_ms']:.1f} |"
        )

    def ratio(key):
        return w[key]["rps"] / w[key]["baseline_rps"]

    constant = all(
        q["2k"]["pages"][p]["queries"] == q["20k"]["pages"][p]["queries"] for p in pages
    )
    page = q["2k"]["pages"]["campaign"]
    small, large = sorted((ratio("campaign_2k"), ratio("campaign_20k")))
    noise = (
        "The two campaign ratios differ by more than the pages do in-process "
        f"({page['in_process_ms']:.1f} vs "
        f"{q['20k']['pages']['campaign']['in_process_ms']:.1f} ms, same queries): "
        "that is the machine's drift within this run (see the baseline's range), "
        "not the number of gifts. "
        if large / small > 1.3
        else ""
    )
    out += [
        "",
        f"The campaign had {q['2k']['campaign_gift_count']:,} then "
        f"{q['20k']['campaign_gift_count']:,} paid gifts (all campaigns: "
        f"{q['2k']['gifts_in_table']:,} then {q['20k']['gifts_in_table']:,}). "
        f"Set-up: migrate {d['setup']['migrate_s']:.0f} s, `load_demo_data --gifts "
        f"2000` {d['setup']['load_demo_data_s']:.0f} s; load average at the end "
        f"{d['loadavg_at_end'][0]}.",
        "",
        f"**Reading.** The campaign page serves {ratio('campaign_2k'):.2f}× the "
        f"requests of the one-query floor ({ratio('campaign_20k'):.2f}× at 20,000 "
        f"gifts) and the donate page {ratio('donate_2k'):.2f}×. Its query count "
        + (
            "is the same at 2,000 and 20,000 gifts, so the stored totals do their "
            "job, and "
            if constant
            else "MOVES between 2,000 and 20,000 gifts: look for a query that "
            "scans gifts; "
        )
        + f"what bounds it is Python CPU: one request costs {page['in_process_ms']:.0f} "
        f"ms in-process for {page['queries']} short queries (template rendering, "
        "ORM row building, money formatting), so two workers on two cores cannot "
        f"pass ~{2000 / page['in_process_ms']:.0f} req/s even before wrk and "
        "PostgreSQL take their share of the cores. The donate page renders the "
        "whole donation form on top. " + noise + "The same-run baselines are "
        f"{against(w['baseline_tiny']['rps'], FLOOR_TINY)} for the tiny template "
        f"and {against(common.median(pk_rps), FLOOR_PK)} for the PK select, so "
        "compare ratios, not absolute numbers, with other runs. If the ratio "
        "drops, compare the SQL stored in `bench/results/campaign_load.json` "
        "first, then profile one request in-process.",
        "",
    ]
    return out


def receipts(d: dict) -> list[str]:
    n = d["count"]
    render, issue = d["render_only_s"], d["issue_s"]
    rss = d["peak_rss_mb"]
    overhead = issue / render
    par = d["parallel_issue_s"]
    out = [
        "## 2. Receipts",
        "",
        f"{n:,} paid gifts (bulk-created), one process, PostgreSQL. The baseline "
        "renders the same PDFs with `receipts.pdf.render_receipt_pdf` from "
        "snapshots built beforehand (no database in the loop); issuing calls "
        "`receipt_issue_for_gift(gift_id, notify=False)` in a loop (no email "
        "queued). The two alternate by chunks of 100 so that both see the same "
        "machine. Peak RSS is the process's `ru_maxrss`.",
        "",
        "| Path | time for 1,000 | ms per receipt | receipts/s | ÷ render-only |",
        "|---|---:|---:|---:|---:|",
        f"| Render PDF only (baseline) | {render:.1f} s | {render / n * 1000:.1f} | "
        f"{n / render:.1f} | 1.00 |",
        f"| `receipt_issue_for_gift` (lock, number, snapshot, PDF, file, rows) | "
        f"{issue:.1f} s | {issue / n * 1000:.1f} | {n / issue:.1f} | {overhead:.2f} |",
        f"| same, {d['workers']} processes at once (1,000 more gifts) | "
        f"{par:.1f} s | {par / n * 1000:.1f} | {n / par:.1f} | {par / render:.2f} |",
        "",
        f"- DB + numbering + file overhead: {(issue - render) / n * 1000:.1f} ms per "
        f"receipt, ratio issue ÷ render = {overhead:.2f}; "
        f"{d['queries_per_issue']} statements per issue (BEGIN to COMMIT).",
        f"- Same bytes: {d['identical_pdfs']}/{n} issued PDFs have the SHA-256 "
        f"of the baseline's rendering; mean PDF size {d['mean_pdf_kb']:.0f} KB.",
        f"- Peak RSS: {rss['after_setup']:.0f} MB after set-up, "
        f"{rss['after_issue']:.0f} MB after rendering and issuing {n:,} of each.",
        f"- Numbering: the year's {2 * n + 1:,} receipts are numbered 1 to {2 * n + 1:,} "
        "without a gap: " + ("yes." if d["numbers_gap_free"] else "NO."),
        "",
        f"**Reading.** Rendering is the bound: it is {render / issue * 100:.0f}% of "
        "an issue, and the numbering lock, the rows and the file add the rest. "
        f"Rendering alone runs at {n / render:.0f} docs/s on one core, "
        f"{n / render / FLOOR_PDF_TTF:.2f}× the floor of a one-page document "
        f"with an embedded TrueType font ({FLOOR_PDF_TTF} docs/s); this receipt has "
        "several tables, boxed sections and three notes, and ReportLab's layout "
        "(line breaking, TrueType string widths) and font subsetting are where "
        f"the time goes. Two processes issue {issue / par:.2f}× as fast as one"
        + (
            " (slower)"
            if issue / par < 0.95
            else " (no speed-up)"
            if issue / par < 1.2
            else ""
        )
        + f": in {d['parallel_lock_wait_share'] * 100:.0f}% of samples one "
        "issuer was waiting on a row lock, because the year's sequence row is "
        "locked from numbering to commit, PDF rendering included, so issues of "
        "one year run one at a time whatever the number of workers. That is "
        "deliberate (a failed render gives its number back); rendering from the "
        "stored snapshot after commit would free the lock within milliseconds, "
        "at the price of a retry path for a missing PDF. One process still issues "
        f"~{round(n / issue * 3600, -3):,.0f} receipts an hour, far above a "
        "foundation's need; if the ratio rises, look at the statements listed in "
        "`bench/results/receipt_issue.json`.",
        "",
    ]
    return out


def export(d: dict) -> list[str]:
    rows = d["check"]["rows"]
    product, copy, empty = d["export_donations"], d["copy"], d["empty_year"]
    net = product["wall_s"] - empty["wall_s"]
    out = [
        "## 3. Export",
        "",
        f"{d['gifts']:,} gifts paid in {d['year']} (2% refunded), each with a receipt "
        "row, 10,000 donors. Each command ran 3 times under `/usr/bin/time -v`, "
        "in interleaved rounds; wall time is the median, RSS the highest. "
        "The COPY runs the same joins, "
        "filter, order and formatting in SQL (`bench/copy_export.py`).",
        "",
        "| Path | wall s | rows/s | peak RSS MB | time ÷ COPY |",
        "|---|---:|---:|---:|---:|",
        f"| `manage.py export_donations --year {d['year']}` | {product['wall_s']:.2f} | "
        f"{rows / product['wall_s']:,.0f} | {product['max_rss_mb']:.0f} | "
        f"{product['wall_s'] / copy['wall_s']:.2f} |",
        f"| same, minus the start-up of an empty year | {net:.2f} | "
        f"{rows / net:,.0f} | | {net / copy['wall_s']:.2f} |",
        f"| `export_donations` on an empty year (start-up only) | {empty['wall_s']:.2f} | "
        f"| {empty['max_rss_mb']:.0f} | |",
        f"| `COPY (SELECT …) TO STDOUT` via `cursor.copy()` (baseline) | "
        f"{copy['wall_s']:.2f} | {rows / copy['wall_s']:,.0f} | "
        f"{copy['max_rss_mb']:.0f} | 1.00 |",
        "",
        f"Check: {rows:,} rows from the command, {d['check']['copy_rows']:,} from COPY, "
        f"{d['check']['rows_that_differ']} rows differ once parsed as CSV; the file "
        f"is {d['file_mb']:.0f} MB. Creating the data took "
        f"{d['setup']['populate_s']:.0f} s.",
        "",
        f"**Reading.** The command streams: its peak RSS ({product['max_rss_mb']:.0f} MB) "
        f"is within {product['max_rss_mb'] - empty['max_rss_mb']:.0f} MB of an empty "
        f"export, so memory does not grow with the year. Its net rate, "
        f"{rows / net:,.0f} rows/s, is "
        f"{against(rows / net, FLOOR_VALUES_LIST)} of `values_list().iterator()` + "
        f"csv, and COPY is {product['wall_s'] / copy['wall_s']:.1f}× faster for the "
        "same rows; the time goes to Python per row (Django parsing each "
        "timestamp, the Paris conversion and `strftime`, the csv writer) and to "
        "the server-side cursor's fetches. COPY here includes the joins and the "
        "sort, so it is "
        f"{against(rows / copy['wall_s'], FLOOR_COPY)} of a bare COPY. A year of a "
        "university foundation exports in seconds either way; if it regresses, "
        "check that the query still has one row per gift (no new join that "
        "multiplies rows) and that no model instances are built per row.",
        "",
    ]
    return out


def replace_section(name: str) -> None:
    """Put one benchmark's section into RESULTS.md, replacing an older one."""
    data = load(name)
    head, *body = SECTIONS[name](data)
    section = "\n".join([head, "", f"Measured {data['at']}.", *body]).rstrip()
    path = common.BENCH / "RESULTS.md"
    text = path.read_text().rstrip() + "\n"
    start = text.find(head + "\n")
    if start >= 0:
        end = text.find("\n## ", start + len(head))
        text = text[:start].rstrip() + "\n\n" + (text[end + 1 :] if end >= 0 else "")
    path.write_text(text.rstrip() + "\n\n" + section + "\n")


def summary() -> list[str]:
    lines = ["## Headline figures", ""]
    if c := load("campaign_load"):
        w = c["wrk"]
        lines.append(
            f"- Campaign page: {w['campaign_2k']['rps']:,.0f} req/s, "
            f"{w['campaign_2k']['rps'] / w['campaign_2k']['baseline_rps']:.2f}× the "
            "bare one-query view of the same run; "
            f"{w['campaign_20k']['rps'] / w['campaign_20k']['baseline_rps']:.2f}× at "
            f"20,000 gifts; {c['queries']['2k']['pages']['campaign']['queries']} "
            f"queries at 2,000 gifts and "
            f"{c['queries']['20k']['pages']['campaign']['queries']} at 20,000."
        )
    if r := load("receipt_issue"):
        lines.append(
            f"- Receipts: {r['count'] / r['issue_s']:.0f} issued/s against "
            f"{r['count'] / r['render_only_s']:.0f} PDFs/s rendered alone "
            f"(issue ÷ render {r['issue_s'] / r['render_only_s']:.2f}); "
            f"{r['workers']} processes: {r['count'] / r['parallel_issue_s']:.0f}/s."
        )
    if e := load("donation_export"):
        rows = e["check"]["rows"]
        lines.append(
            f"- Export: {rows / e['export_donations']['wall_s']:,.0f} rows/s "
            f"against {rows / e['copy']['wall_s']:,.0f} for COPY "
            f"({e['export_donations']['wall_s'] / e['copy']['wall_s']:.1f}× the "
            f"time), peak RSS {e['export_donations']['max_rss_mb']:.0f} MB."
        )
    if o := load("offline_post"):
        lines.append(
            f"- Offline gifts: a cheque posted in a batch costs "
            f"{o['batch_post_s'] / o['card_mark_paid_s']:.2f}× a card gift's "
            "confirmation."
        )
    if g := load("ledger_year"):
        lines.append(
            f"- Ledger: a year of {g['gifts']['year']:,} gifts in "
            f"{g['timings']['open_year']['median_s'] * 1000:.0f} ms, "
            f"{g['ratios']['open_year']:.2f}× a plain SUM of the same gifts."
        )
    if r := load("reconcile_run"):
        lines.append(
            f"- Reconciliation: {r['transactions'] / r['first_run_s']:,.0f} balance "
            f"transactions/s matched and stored, "
            f"{r['first_run_s'] / r['stripe_reads_s']:.2f}× the time of the Stripe "
            "reads alone."
        )
    if b := load("dashboard_load"):
        lines.append(
            f"- Dashboard at {b['gifts']:,} gifts: {b['warm_s'] * 1000:.0f} ms a "
            f"poll, {b['cold_s'] * 1000:.0f} ms with its charts redrawn; summing "
            f"the gifts instead takes {b['naive_s'] * 1000:.0f} ms."
        )
    return [*lines, ""]


SECTIONS = dict(
    [
        ("campaign_load", campaign),
        ("receipt_issue", receipts),
        ("donation_export", export),
        ("offline_post", offline),
        ("ledger_year", ledger),
        ("reconcile_run", reconciliation),
        ("currency_totals", currency_totals),
        ("finance_export", finance_export),
        ("dashboard_load", dashboard),
    ]
)


def main() -> None:
    lines = [
        "# Mécène: performance measurements",
        "",
        f"Written by `bench/run_all.sh` on {time.strftime('%Y-%m-%d %H:%M %Z')}. "
        "How to run each benchmark: `bench/README.md`. Raw figures: "
        "`bench/results/*.json`. Floors quoted are those of "
        "`/work/shared/perf-floors.md` (bare stack, 2-core machine).",
        "",
        *summary(),
        *machine(),
    ]
    for name, section in SECTIONS.items():
        data = load(name)
        if data is None:
            lines += [f"## {name}", "", "Not run.", ""]
            continue
        head, *body = section(data)
        lines += [head, "", f"Measured {data['at']}.", *body]
    (common.BENCH / "RESULTS.md").write_text("\n".join(lines).rstrip() + "\n")
    common.log("bench/RESULTS.md written")


if __name__ == "__main__":
    main()
