"""Through a real Celery worker (two pool processes): one dedication card per
gift, however many times its task is delivered.

Here rather than in wall/tests: the session's worker, once started, takes
every task the later tests queue, so it starts only with the other worker
tests, at the end of the suite."""

import re

import pytest
from django.db import transaction

from conftest import wait_until
from payments.gateway import IntentState
from payments.models import Gift
from payments.services import gift_mark_paid
from tests.test_worker import emails_to
from wall.models import Dedication
from wall.tasks import dedication_card_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


DONE = re.compile(r"dedication_card_task\[[^\]]+\] (succeeded|raised)")


def card_tasks_done(worker) -> int:
    return len(DONE.findall(worker.log_path.read_text()))


def test_a_card_delivered_three_times_is_emailed_once(
    celery_worker_process, worker_mail_dir, make_gift
):
    before = card_tasks_done(celery_worker_process)
    # given a pending gift with a card, paid (which queues the card on commit)
    gift = make_gift(receipt_mode="none", stripe_payment_intent_id="pi_worker_card")
    Dedication.objects.create(
        gift=gift,
        kind=Dedication.Kind.HONOUR,
        honoree_name="Marie-José Pérec",
        recipient_email="card.worker@example.net",
    )
    intent = IntentState(
        id="pi_worker_card", status="succeeded", client_secret="",
        amount_minor=5000, currency="EUR",
    )  # fmt: skip
    with transaction.atomic():
        gift_mark_paid(Gift.objects.select_for_update().get(pk=gift.pk), intent,
                       source="test")  # fmt: skip

    # when the same task is delivered twice more, to both pool processes
    dedication_card_task.delay(gift.pk)
    dedication_card_task.delay(gift.pk)

    # then, once all three have run, one card went out
    assert wait_until(lambda: card_tasks_done(celery_worker_process) >= before + 3)
    assert len(emails_to(worker_mail_dir, "card.worker@example.net")) == 1
