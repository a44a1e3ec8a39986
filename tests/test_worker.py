"""Through a real Celery worker process: paid gift → receipt → one email."""

import email
import email.policy
from decimal import Decimal

import pytest

from conftest import wait_until
from receipts.models import Receipt
from receipts.tasks import receipt_sweep_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def emails_to(mail_dir, address):
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
            if not chunk.strip():
                continue
            message = email.message_from_bytes(chunk, policy=email.policy.default)
            if message["To"] == address:
                found.append(message)
    return found


def test_paid_gift_gets_its_receipt_and_one_email_from_the_worker(
    celery_worker_process, worker_mail_dir, paid_gift, make_donor
):
    donor = make_donor(email="worker.test@example.org")

    gift = paid_gift("75.00", donor=donor)

    receipt = wait_until(
        lambda: Receipt.objects.filter(gift=gift, emailed_at__isnull=False).first()
    )
    assert receipt is not None, celery_worker_process.log_path.read_text()[-2000:]
    assert receipt.amount.amount == Decimal("75.00")
    messages = emails_to(worker_mail_dir, donor.email)
    assert len(messages) == 1
    attachments = [part.get_filename() for part in messages[0].iter_attachments()]
    assert attachments == [f"recu-fiscal-{receipt.number}.pdf"]


def test_sweep_requeues_a_paid_gift_whose_message_was_lost(
    celery_worker_process, worker_mail_dir, paid_gift, make_donor, monkeypatch
):
    # Given a gift paid while the broker refused every message
    monkeypatch.setattr("receipts.tasks.receipt_issue_task.delay", _broker_down)
    donor = make_donor(email="lost.message@example.org")
    gift = paid_gift("20.00", donor=donor)
    assert not Receipt.objects.filter(gift=gift).exists()
    monkeypatch.undo()

    # When the sweep runs once the broker is back
    result = receipt_sweep_task(min_age_seconds=0)

    # Then the worker issues and emails the receipt, once
    assert result["receipts"] >= 1
    assert wait_until(
        lambda: Receipt.objects.filter(gift=gift, emailed_at__isnull=False).exists()
    )
    assert len(emails_to(worker_mail_dir, donor.email)) == 1


def _broker_down(*args, **kwargs):
    raise ConnectionError("broker unreachable")


def test_fifty_receipts_issued_by_two_worker_processes_are_numbered_without_gaps(
    celery_worker_process, paid_gift, make_donor
):
    # Given fifty gifts paid at once, their receipt tasks shared by the
    # worker's two pool processes
    donor = make_donor(email="many.gifts@example.org")
    gifts = [paid_gift(f"{10 + n}.00", donor=donor) for n in range(50)]

    # When the worker has issued them all
    def issued():
        # Emailed too: the worker must be idle before the test database is
        # flushed, or its row locks deadlock with the flush.
        return (
            Receipt.objects.filter(gift__in=gifts, emailed_at__isnull=False).count()
            == 50
        )

    assert wait_until(issued, timeout=60), celery_worker_process.log_path.read_text()[
        -2000:
    ]

    # Then the numbers of that series are consecutive and never shared
    numbers = sorted(
        Receipt.objects.filter(gift__in=gifts).values_list("sequence_number", flat=True)
    )
    assert len(set(numbers)) == 50
    assert numbers == list(range(numbers[0], numbers[0] + 50))
    pids = {
        line.split("ForkPoolWorker-")[1].split("]")[0]
        for line in celery_worker_process.log_path.read_text().splitlines()
        if "receipt_issue_task" in line and "ForkPoolWorker-" in line
    }
    assert len(pids) >= 2
