#!/bin/sh
# Run every benchmark, then rewrite bench/RESULTS.md. About 8 minutes.
# Everything runs against 127.0.0.1: PostgreSQL on 5432 (user postgres) and
# gunicorn servers the benchmarks start and stop themselves.
set -eu
cd "$(dirname "$0")/.."
PY=.venv/bin/python

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
test -x /usr/bin/time || { echo "/usr/bin/time is missing: apt-get install -y time" >&2; exit 1; }

rm -f bench/results/*.json
$PY -m bench.campaign_load
$PY -m bench.receipt_issue
$PY -m bench.donation_export
$PY -m bench.offline_post
$PY -m bench.ledger_year
$PY -m bench.reconcile_run
$PY -m bench.currency_totals
$PY -m bench.finance_export
$PY -m bench.dashboard_load
$PY -m bench.report
