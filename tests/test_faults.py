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


@pytest.fixture
def broker(private_redis, monkeypatch):
    """Point this process's Celery producer at the private Redis."""
    from mecene.celery import app

    def forget_connections():
        # Celery caches its connection and producer pools on first use.
        app.pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None

    monkeypatch.setattr(app.conf, "broker_url", private_redis.url)
    monkeypatch.setattr(app.conf, "broker_write_url", private_redis.url)
    forget_connections()
    yield private_redis
    monkeypatch.undo()
    forget_connections()


def test_gifts_paid_while_redis_is_down_get_their_receipts_once_it_is_back(
    fake_stripe, broker, paid_gift, make_donor, tmp_path
):
    from receipts.tasks import receipt_sweep_task

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL")
    mail_dir = tmp_path / "mail"
    env = worker_env(fake_stripe, mail_dir, CELERY_BROKER_URL=broker.url)
    worker = spawn_worker(
        [sys.executable, "-m", "celery", "-A", "mecene", "worker", "--pool", "solo",
         *WORKER_FLAGS],
        env,
        tmp_path / "worker.log",
    )  # fmt: skip
    donors = [make_donor(email=f"redis-down-{n}@example.org") for n in range(2)]
    try:
        # Given Redis stops while two gifts are paid: their receipts cannot be queued
        broker.stop()
        gifts = [paid_gift("25.00", donor=donor) for donor in donors]
        assert all(gift.status == "paid" for gift in gifts)

        # When Redis is back and the beat sweep runs
        broker.restart()
        queued = receipt_sweep_task(min_age_seconds=0)

        # Then each gift gets one receipt and its donor one email
        def all_sent():
            return (
                Receipt.objects.filter(gift__in=gifts, emailed_at__isnull=False).count()
                == 2
            )

        assert queued["receipts"] == 2
        assert wait_until(all_sent, 60), worker.log_path.read_text()[-2000:]
    finally:
        stop_worker(worker)
        end_other_sessions()
    for donor in donors:
        assert len(emails_to(mail_dir, donor.email)) == 1
    assert Receipt.objects.filter(gift__in=gifts).count() == 2
