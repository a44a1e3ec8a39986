"""Faults a foundation will meet: a worker killed mid-task, a dead broker."""

import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

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
from payments.models import Gift
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


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of this test's own, on a free loopback port, that it may stop."""
    from conftest import free_port

    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(tmp_path)]  # fmt: skip

    def start():
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
        assert wait_until(lambda: _pings(port), 10), "private redis did not start"
        return proc

    state = {"proc": start()}

    def stop():
        state["proc"].terminate()
        state["proc"].wait(10)

    def restart():
        state["proc"] = start()

    yield SimpleNamespace(url=f"redis://127.0.0.1:{port}/0", stop=stop, restart=restart)
    if state["proc"].poll() is None:
        stop()


def _pings(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


PAY_TWO_GIFTS = """
from decimal import Decimal
from django.db import transaction
from djmoney.money import Money
from campaigns.models import Campaign
from donors.services import donor_upsert
from payments.gateway import IntentState
from payments.models import Gift
from payments.services import gift_mark_paid

campaign = Campaign.objects.get(slug="passeport-jo")
for n in range(2):
    donor = donor_upsert(
        email=f"redis-down-{n}@example.org", kind="individual", first_name="Anne",
        last_name="Martin", address_line="1 rue", postal_code="75005", city="Paris",
        country="FR", language="fr",
    )
    gift = Gift.objects.create(donor=donor, campaign=campaign, amount=Money(Decimal("25.00"), "EUR"))
    intent = IntentState(id="", status="succeeded", client_secret="", amount_minor=2500, currency="EUR")
    with transaction.atomic():
        gift_mark_paid(Gift.objects.select_for_update().get(pk=gift.pk), intent, source="test")
"""
SWEEP = "from receipts.tasks import receipt_sweep_task; print(receipt_sweep_task(min_age_seconds=0))"


def run_django(code: str, env: dict) -> str:
    """Run ``code`` in a fresh process: its own Celery producer, its own broker."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "manage.py", "shell", "-c", code],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return result.stdout


def test_gifts_paid_while_redis_is_down_get_their_receipts_once_it_is_back(
    fake_stripe, private_redis, campaign, tmp_path
):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL")
    mail_dir = tmp_path / "mail"
    env = worker_env(fake_stripe, mail_dir, CELERY_BROKER_URL=private_redis.url)
    worker = spawn_worker(
        [sys.executable, "-m", "celery", "-A", "mecene", "worker", "--pool", "solo",
         *WORKER_FLAGS],
        env,
        tmp_path / "worker.log",
    )  # fmt: skip
    try:
        # Given Redis stops while two gifts are paid: their receipts cannot be queued
        private_redis.stop()
        run_django(PAY_TWO_GIFTS, env)
        gifts = list(Gift.objects.filter(donor__email__startswith="redis-down-"))
        assert [gift.status for gift in gifts] == ["paid", "paid"]
        assert not Receipt.objects.filter(gift__in=gifts).exists()

        # When Redis is back and the beat sweep runs
        private_redis.restart()
        swept = run_django(SWEEP, env)

        # Then each gift gets one receipt and its donor one email
        def all_sent():
            return (
                Receipt.objects.filter(gift__in=gifts, emailed_at__isnull=False).count()
                == 2
            )

        assert "'receipts': 2" in swept
        assert wait_until(all_sent, 60), worker.log_path.read_text()[-2000:]
    finally:
        stop_worker(worker)
        end_other_sessions()
    for n in range(2):
        assert len(emails_to(mail_dir, f"redis-down-{n}@example.org")) == 1
    assert Receipt.objects.filter(gift__in=gifts).count() == 2
