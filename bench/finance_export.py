"""Finance exports at scale: 1,000,000 gifts to CSV and XLSX against COPY.

    .venv/bin/python -m bench.finance_export

Database ``mecene_exports_bench`` (dropped first, dropped at the end) gets
the demo campaigns, 10,000 donors and 1,000,000 gifts paid in one year, each
with a receipt row (``bench.donation_export.populate``), plus a refund on
every fiftieth gift for the accounting export. Each command runs once as a
subprocess under ``/usr/bin/time -v`` (wall time, peak RSS): ``export_finance``
for gifts as CSV and as XLSX, the accounting export as CSV, the gift CSV on
an empty year (start-up cost), and the baseline ``bench/copy_export.py``
(PostgreSQL COPY of the same gift rows). The product's gift CSV is checked
row by row against COPY's after both are parsed. The section it writes into
``bench/RESULTS.md`` replaces an earlier one of the same title.
"""

import csv
import time
from decimal import Decimal

from bench import common, donation_export, report

DB = "mecene_exports_bench"
YEAR = donation_export.YEAR
GIFTS = 1_000_000
LIMIT_MB = 200


def add_refunds() -> int:
    from django.db import connection

    # Straight SQL: a million ORM saves would take longer than the export.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO payments_refund (gift_id, amount, amount_currency, reason,
                source, stripe_refund_id, request_id, created_at)
            SELECT id, amount, amount_currency, '', 'stripe', 're_bench_' || id, '',
                paid_at + interval '1 day'
            FROM payments_gift WHERE status = 'refunded'
            """
        )
        count = cursor.rowcount
        cursor.execute(
            "UPDATE payments_gift SET refunded_amount = amount"
            " WHERE status = 'refunded'"
        )
        cursor.execute("ANALYZE")
    return count


def parsed(path, **options) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle, **options))


def compare(product, copy) -> dict:
    """Rows that differ between the product's comma CSV and COPY's."""
    differ, rows, copy_rows = 0, 0, 0
    with (
        open(product, newline="", encoding="utf-8-sig") as a,
        open(copy, newline="", encoding="utf-8") as b,
    ):
        ours, theirs = csv.reader(a), csv.reader(b)
        next(ours), next(theirs)
        for x, y in zip(ours, theirs, strict=False):
            rows += 1
            copy_rows += 1
            # COPY has no refunded/net columns: compare the shared ones.
            shared = x[:5] + x[7:]
            if shared != y:
                differ += 1
        rows += sum(1 for _ in ours)
        copy_rows += sum(1 for _ in theirs)
    return {"rows": rows, "copy_rows": copy_rows, "rows_that_differ": differ}


def xlsx_rows(path) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    count = sum(1 for _ in workbook.active.iter_rows(values_only=True)) - 1
    workbook.close()
    return count


def main() -> None:
    donation_export.GIFTS = GIFTS
    env, timings = common.prepare_db(DB, gifts=0)
    common.setup_django(env)
    common.log(f"creating {GIFTS:,} gifts and their receipt rows")
    timings.update(donation_export.populate())
    start = time.perf_counter()
    refunds = add_refunds()
    timings["refunds_s"] = time.perf_counter() - start
    from django.db import connections

    connections.close_all()

    out = common.WORK / "finance_export"
    out.mkdir(parents=True, exist_ok=True)
    manage = [common.PYTHON, "manage.py", "export_finance"]
    year = ["--year", str(YEAR)]
    commands = {
        "empty_year": [*manage, "gifts", "--year", "2001", "--output"],
        "gifts_csv": [*manage, "gifts", *year, "--separator", ",", "--output"],
        "gifts_xlsx": [*manage, "gifts", *year, "--format", "xlsx", "--output"],
        "accounting_csv": [*manage, "accounting", *year, "--output"],
        "copy": [common.PYTHON, "-m", "bench.copy_export", env["DATABASE_URL"]],
    }
    files = {
        "empty_year": out / "empty.csv",
        "gifts_csv": out / "gifts.csv",
        "gifts_xlsx": out / "gifts.xlsx",
        "accounting_csv": out / "accounting.csv",
        "copy": out / "copy.csv",
    }
    result = {}
    for name, command in commands.items():
        common.log(f"running {name}")
        tail = [str(YEAR), str(files[name])] if name == "copy" else [str(files[name])]
        result[name] = common.timed([*command, *tail], env)
        result[name]["file_mb"] = files[name].stat().st_size / 2**20
        common.log(f"{name}: {result[name]}")

    check = compare(files["gifts_csv"], files["copy"])
    check["xlsx_rows"] = xlsx_rows(files["gifts_xlsx"])
    accounting = parsed(files["accounting_csv"], delimiter=";")
    debit = sum(Decimal(r[6].replace(",", ".")) for r in accounting[1:] if r[6])
    credit = sum(Decimal(r[7].replace(",", ".")) for r in accounting[1:] if r[7])
    check["accounting_lines"] = len(accounting) - 1
    check["accounting_balanced"] = debit == credit
    del accounting
    for path in files.values():
        path.unlink(missing_ok=True)
    common.drop_db(DB)

    data = {
        "setup": timings,
        "gifts": GIFTS,
        "refunds": refunds,
        "year": YEAR,
        "limit_mb": LIMIT_MB,
        **result,
        "check": check,
    }
    common.save("finance_export", data)
    report.replace_section("finance_export")


if __name__ == "__main__":
    main()
