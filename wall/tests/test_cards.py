"""Dedication cards: emailed once to the recipient after payment, in the
donor's language, naming the donor only if not anonymous, never the amount."""

import logging

import pytest
from django.core import mail

from payments.models import Gift
from wall.models import Dedication
from wall.tasks import dedication_card_enqueue, dedication_card_sweep_task
from wall.tasks import dedication_card_task as card_task

pytestmark = pytest.mark.django_db

RECIPIENT = "lucie.cerdan@example.net"


def cards_sent():
    return [message for message in mail.outbox if message.to == [RECIPIENT]]


def test_the_card_is_sent_once_even_if_the_task_runs_twice(
    paid_gift, dedication_for, caplog
):
    # given a paid gift of 1,234.56 € with a dedication card, in English
    gift = paid_gift("1234.56", language="en")
    dedication = dedication_for(gift)

    # when the task runs twice (a redelivered message)
    with caplog.at_level(logging.INFO, logger="wall"):
        first = card_task(gift.pk)
        second = card_task(gift.pk)

    # then one card went out, in English, naming the donor and the honoured
    # person, with the donor's words and without the amount
    assert (first, second) == (True, False)
    [card] = cards_sent()
    assert card.subject == "A gift in memory of Marcel Cerdan"
    assert card.body.startswith("Dear Lucie Cerdan,")
    assert "Anne Martin has made a gift in memory of Marcel Cerdan" in card.body
    assert "En souvenir de ton grand-père." in card.body
    for amount in ("1234", "1 234", "1,234", "1\u202f234", "€", "EUR"):
        assert amount not in card.body
        assert amount not in card.subject
    dedication.refresh_from_db()
    assert dedication.card_sent_at is not None
    # the log names the gift, never the recipient
    assert f"gift {gift.pk}: dedication card sent" in caplog.text
    assert RECIPIENT not in caplog.text


def test_the_card_is_written_in_the_donors_language(paid_gift, dedication_for):
    gift = paid_gift(language="fr")
    dedication_for(gift, kind=Dedication.Kind.HONOUR, honoree_name="Teddy Riner")

    card_task(gift.pk)

    [card] = cards_sent()
    assert card.subject == "Un don en l’honneur de Teddy Riner"
    assert "Anne Martin a fait un don en l’honneur de Teddy Riner" in card.body


def test_an_anonymous_donor_is_not_named_on_the_card(paid_gift, dedication_for):
    gift = paid_gift(anonymous=True, language="en")
    dedication_for(gift)

    card_task(gift.pk)

    [card] = cards_sent()
    assert "A donor who wishes to remain anonymous" in card.body
    assert "Anne" not in card.body
    assert "Martin" not in card.body


@pytest.mark.parametrize(
    "status", [Gift.Status.PENDING, Gift.Status.FAILED, Gift.Status.REFUNDED]
)
def test_no_card_for_a_gift_that_is_not_paid(make_gift, dedication_for, status):
    gift = make_gift(status=status)
    dedication = dedication_for(gift)

    assert card_task(gift.pk) is False
    assert dedication_card_enqueue(gift.pk) is False

    assert cards_sent() == []
    dedication.refresh_from_db()
    assert dedication.card_sent_at is None


def test_no_card_for_a_dedication_without_recipient(paid_gift, dedication_for):
    gift = paid_gift()
    dedication_for(gift, recipient_email="", recipient_name="")

    assert card_task(gift.pk) is False
    assert mail.outbox == []


def test_paying_the_gift_queues_its_card_after_commit(
    make_gift, dedication_for, eager_tasks, django_capture_on_commit_callbacks
):
    # given a pending gift with a card (as the donate page stores it)
    from django.db import transaction

    from payments.gateway import IntentState
    from payments.services import gift_mark_paid

    gift = make_gift(receipt_mode="none", stripe_payment_intent_id="pi_card")
    dedication_for(gift)

    # when the payment is confirmed and the transaction commits
    intent = IntentState(
        id="pi_card", status="succeeded", client_secret="", amount_minor=5000,
        currency="EUR",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            gift_mark_paid(Gift.objects.select_for_update().get(pk=gift.pk), intent,
                           source="test")  # fmt: skip

    # then the card went out once
    assert len(cards_sent()) == 1


def test_the_sweep_sends_cards_a_lost_message_left_unsent(
    paid_gift, dedication_for, eager_tasks
):
    gift = paid_gift()
    dedication_for(gift)
    sent = paid_gift()
    dedication_for(sent)
    card_task(sent.pk)
    mail.outbox.clear()

    queued = dedication_card_sweep_task(min_age_seconds=0)

    assert queued == 1
    assert len(cards_sent()) == 1
    assert dedication_card_sweep_task(min_age_seconds=0) == 0


def test_a_broker_down_after_payment_leaves_the_card_to_the_sweep(
    paid_gift, dedication_for, monkeypatch, caplog
):
    gift = paid_gift()
    dedication_for(gift)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(card_task, "delay", broker_down)

    assert dedication_card_enqueue(gift.pk) is False
    assert f"could not queue the card of gift {gift.pk}" in caplog.text
    assert cards_sent() == []
