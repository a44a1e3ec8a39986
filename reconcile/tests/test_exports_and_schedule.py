"""``fee_lines`` / ``payout_lines`` for accounting, and the daily run's days."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from devtools.stripe_server import pay_out
from payments.refunds import gift_refund
from reconcile.models import ReconciliationRun
from reconcile.selectors import fee_lines, payout_lines
from reconcile.services import default_since
from reconcile.tasks import reconciliation_daily_task
from reconcile.tests.conftest import euros

pytestmark = pytest.mark.django_db


def test_fee_and_payout_lines_give_what_accounting_posts(
    stripe_paid_gift, reconcile_today, stripe_api
):
    # Given a 100.00 gift refunded 30.00, paid out, and reconciled
    gift = stripe_paid_gift("100.00")
    refund = gift_refund(gift.pk, amount=Decimal("30.00"), reason="asked by donor")
    stripe_payout = pay_out(stripe_api)
    reconcile_today()
    today = timezone.localdate()

    # When finance asks for today's lines
    fees = fee_lines(today, today)
    payouts = payout_lines(today, today + timedelta(days=3))

    # Then there is one line per charge and refund, and one per payout
    assert [(r["kind"], r["gift_id"], r["refund_id"]) for r in fees] == [
        ("charge", gift.pk, None),
        ("refund", gift.pk, refund.pk),
    ]
    assert [(r["amount"], r["fee"], r["net"]) for r in fees] == [
        (euros("100.00"), euros("1.75"), euros("98.25")),
        (euros("-30.00"), euros("0.00"), euros("-30.00")),
    ]
    assert {r["stripe_payout_id"] for r in fees} == {stripe_payout["id"]}
    assert all(r["date"] == today for r in fees)
    [line] = payouts
    assert line["stripe_payout_id"] == stripe_payout["id"]
    assert (line["gross"], line["fees"], line["refunds"], line["net"]) == (
        euros("100.00"),
        euros("1.75"),
        euros("-30.00"),
        euros("68.25"),
    )
    assert (line["amount"], line["difference"]) == (euros("68.25"), euros("0.00"))
    assert (line["charge_count"], line["refund_count"]) == (1, 1)


def test_lines_of_other_days_are_left_out(stripe_paid_gift, reconcile_today):
    stripe_paid_gift("100.00")
    reconcile_today()
    yesterday = timezone.localdate() - timedelta(days=1)

    assert fee_lines(yesterday, yesterday) == []
    assert payout_lines(yesterday, yesterday) == []


def test_daily_run_starts_before_the_last_successful_one_ended(settings):
    # Given a successful run up to 10 March and a later failed one
    settings.RECONCILE_MARGIN_DAYS = 3
    ReconciliationRun.objects.create(
        since=date(2026, 3, 1), until=date(2026, 3, 10), status="succeeded"
    )
    ReconciliationRun.objects.create(
        since=date(2026, 3, 11), until=date(2026, 3, 12), status="failed"
    )

    # Then the next daily run starts three days before 10 March
    assert default_since(today=date(2026, 3, 13)) == date(2026, 3, 7)


def test_first_daily_run_reads_the_configured_days_back(settings):
    settings.RECONCILE_FIRST_RUN_DAYS = 30

    assert default_since(today=date(2026, 3, 31)) == date(2026, 3, 1)


def test_daily_task_reconciles_up_to_today(stripe_paid_gift, settings):
    # Given a paid gift and no run yet
    settings.RECONCILE_FIRST_RUN_DAYS = 2
    stripe_paid_gift("100.00")

    # When beat's task runs
    run_id = reconciliation_daily_task()

    # Then it reconciled the last two days up to today, as nobody
    run = ReconciliationRun.objects.get(pk=run_id)
    today = timezone.localdate()
    assert (run.since, run.until, run.actor) == (today - timedelta(days=2), today, None)
    assert (run.status, run.matched_count) == ("succeeded", 1)


def test_daily_entry_is_scheduled():
    from django.conf import settings as django_settings

    entry = django_settings.CELERY_BEAT_SCHEDULE["stripe-reconciliation"]
    assert entry["task"] == reconciliation_daily_task.name


def test_the_accounting_export_posts_the_reconciled_fee_and_payout(
    stripe_paid_gift, reconcile_today, stripe_api
):
    from finance.accounting import accounting_rows
    from finance.export_forms import ExportFilters

    # Given a reconciled 100.00 gift, paid out
    gift = stripe_paid_gift("100.00")
    stripe_payout = pay_out(stripe_api)
    reconcile_today()

    # When finance exports the year's accounting entries
    rows = list(accounting_rows(ExportFilters(year=timezone.localdate().year)))

    # Then the fee and the payout are there, each a balanced pair
    text = [" ".join(str(cell) for cell in row) for row in rows]
    fee = [line for line in text if line.startswith("F")]
    payout = [line for line in text if line.startswith(f"P{stripe_payout['id']}")]
    assert len(fee) == 2
    assert "1.75" in fee[0]
    assert len(payout) == 2
    assert "passeport-jo" in fee[0]
    assert str(gift.pk) in fee[0]
