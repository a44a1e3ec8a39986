"""``reconcile_stripe``: its flags, and its refusals in one line."""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from reconcile.models import GiftSettlement, Mismatch, ReconciliationRun

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Commands speak the active language; these tests read English."""
    with translation.override("en"):
        yield


def run_command(*args):
    return subprocess.run(
        [sys.executable, "manage.py", "reconcile_stripe", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_reconciles_the_days_asked_and_prints_the_counts(stripe_paid_gift, capsys):
    # Given a gift paid today
    gift = stripe_paid_gift("100.00")
    today = timezone.localdate().isoformat()

    # When today is reconciled from the command
    call_command("reconcile_stripe", since=today, until=today)

    # Then the gift is settled and the counts are printed on one line
    assert GiftSettlement.objects.filter(gift=gift).exists()
    out = capsys.readouterr().out.strip()
    assert out.endswith("1 transactions, 1 matched, 0 payouts, 0 mismatches")
    assert ReconciliationRun.objects.get().status == "succeeded"


@pytest.mark.parametrize("flag", ["--since", "--until"])
def test_future_day_is_refused_and_nothing_is_written(flag, stripe_api):
    # Given tomorrow, in Paris
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    today = timezone.localdate().isoformat()
    flags = {"since": today, flag.lstrip("-"): tomorrow}

    # When it is asked for
    with pytest.raises(CommandError, match="is in the future") as excinfo:
        call_command("reconcile_stripe", **flags)

    # Then the command exits 2 and records nothing
    assert excinfo.value.returncode == 2
    assert not ReconciliationRun.objects.exists()
    assert not Mismatch.objects.exists()


def test_first_day_after_last_is_refused(stripe_api):
    today = timezone.localdate()
    with pytest.raises(CommandError, match="is after the last") as excinfo:
        call_command(
            "reconcile_stripe",
            since=today.isoformat(),
            until=(today - timedelta(days=1)).isoformat(),
        )
    assert excinfo.value.returncode == 2
    assert not ReconciliationRun.objects.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--since", "2999-01-01"],
        ["--since", "04/12/2026"],
        ["--since", "2026-02-30"],
        [],
    ],
    ids=["future", "not-iso", "no-such-day", "missing"],
)
def test_bad_flags_are_one_line_with_exit_code_2(args):
    result = run_command(*args)

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("CommandError: ")
    assert "Traceback" not in result.stderr


def test_stripe_down_fails_the_run_with_one_line(stripe_down):
    # Given Stripe cannot be reached
    today = timezone.localdate().isoformat()

    # When today is reconciled
    with pytest.raises(CommandError, match="Stripe could not be read"):
        call_command("reconcile_stripe", since=today)

    # Then the run is recorded as failed, with the reason
    run = ReconciliationRun.objects.get()
    assert run.status == ReconciliationRun.Status.FAILED
    assert run.error
    assert run.finished_at is not None


def test_second_run_while_one_is_running_is_refused(stripe_api):
    # Given a run in progress
    today = timezone.localdate()
    ReconciliationRun.objects.create(since=today, until=today)

    # When another is asked for
    with pytest.raises(CommandError, match="already running"):
        call_command("reconcile_stripe", since=today.isoformat())

    # Then no second run is recorded
    assert ReconciliationRun.objects.count() == 1


def test_run_abandoned_past_the_timeout_does_not_block(stripe_api, settings):
    # Given a run left running by a killed worker two hours ago
    today = timezone.localdate()
    stale = ReconciliationRun.objects.create(since=today, until=today)
    ReconciliationRun.objects.filter(pk=stale.pk).update(
        started_at=timezone.now() - timedelta(hours=2)
    )

    # When a new run is asked for
    call_command("reconcile_stripe", since=today.isoformat())

    # Then the old one is marked failed and the new one succeeds
    stale.refresh_from_db()
    assert stale.status == ReconciliationRun.Status.FAILED
    assert "abandoned" in stale.error
    assert ReconciliationRun.objects.exclude(pk=stale.pk).get().status == "succeeded"


@pytest.mark.parametrize("since", ["0001-01-01", "1900-01-01"])
def test_a_day_before_stripe_existed_is_refused(since, stripe_api):
    with pytest.raises(CommandError, match="nothing to read") as excinfo:
        call_command("reconcile_stripe", since=since)
    assert excinfo.value.returncode == 2
    assert not ReconciliationRun.objects.exists()


def test_an_unexpected_error_leaves_the_run_failed_not_running(stripe_api, monkeypatch):
    from payments import gateway
    from reconcile.services import reconciliation_run, reconciliation_start

    def broken(**kwargs):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(gateway, "balance_transactions_list", broken)
    today = timezone.localdate()
    run = reconciliation_start(since=today, until=today, actor=None)
    with pytest.raises(OverflowError):
        reconciliation_run(run.pk)
    assert list(ReconciliationRun.objects.values_list("status", flat=True)) == [
        "failed"
    ]
