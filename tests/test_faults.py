"""Faults a foundation will meet: a worker killed mid-task, a dead broker."""

import os
import signal
import sys
import time

import pytest
from django.conf import settings

from conftest import (
    WORKER_FLAGS,
    end_other_sessions,
    spawn_worker,
    stop_worker,
    wait_until,
    worker_env,
)
from receipts.models import Receipt
from receipts.tasks import receipt_issue_task
from tests.test_worker import emails_to

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUEUE = "fault-test"


@pytest.fixture
def quiet_enqueue(monkeypatch):
    """Pay gifts without queueing their receipt on the shared test queue."""
    monkeypatch.setattr("receipts.tasks.receipt_enqueue", lambda gift_id: True)


def test_worker_killed_mid_receipt_issues_it_once_after_restart(
    fake_stripe, paid_gift, make_donor, quiet_enqueue, tmp_path, worker_mail_dir
):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL")
    mail_dir = tmp_path / "mail"
    # Redelivery of a task whose worker died comes after the visibility
    # timeout; short here so the test need not wait an hour.
    env = worker_env(fake_stripe, mail_dir, CELERY_VISIBILITY_TIMEOUT="3")
    donor = make_donor(email="killed.worker@example.org")
    gift = paid_gift("40.00", donor=donor)

    # Given a worker half-way through rendering the gift's receipt
    slow = spawn_worker(
        [sys.executable, "-m", "tests.slow_worker", "--pool", "solo", "-Q", QUEUE, *WORKER_FLAGS],
        env,
        tmp_path / "slow.log",
    )  # fmt: skip
    receipt_issue_task.apply_async(args=[gift.pk], queue=QUEUE)
    assert wait_until(lambda: b"slow render started" in slow.log_path.read_bytes(), 20)

    # When it is killed outright, and another worker starts
    os.killpg(slow.pid, signal.SIGKILL)
    slow.wait()
    slow.log_file.close()
    assert not Receipt.objects.filter(gift=gift).exists()
    # A worker hands out again, when it starts, the tasks left unacknowledged
    # for longer than the visibility timeout.
    time.sleep(4)
    healthy = spawn_worker(
        [sys.executable, "-m", "celery", "-A", "mecene", "worker", "--pool", "solo",
         "-Q", f"{QUEUE},celery", *WORKER_FLAGS],
        env,
        tmp_path / "healthy.log",
    )  # fmt: skip
    try:
        issued = wait_until(
            lambda: Receipt.objects.filter(
                gift=gift, emailed_at__isnull=False
            ).exists(),
            60,
        )
    finally:
        stop_worker(healthy)
        end_other_sessions()

    # Then the receipt is issued once, with one number and one email
    assert issued, healthy.log_path.read_text()[-2000:]
    assert Receipt.objects.filter(gift=gift).count() == 1
    # The email task may be taken by this worker or by the suite's own one.
    sent = emails_to(mail_dir, donor.email) + emails_to(worker_mail_dir, donor.email)
    assert len(sent) == 1
