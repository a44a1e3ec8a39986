"""Monthly gifts at the scale of a programme: two schedulers at once, and a
month of a 500-donor programme on a frozen clock."""

import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db.models import Count
from django.test import Client
from freezegun import freeze_time

from conftest import stripe_client, worker_env
from devtools.stripe_server import REPO_ROOT
from payments.models import Gift, RecurringGift, RecurringNotice
from payments.recurring import recurring_charge_due
from payments.tests.conftest import FAILING_IBAN
from payments.tests.test_webhook import event_body, post


def all_intents():
    """Every PaymentIntent the offline Stripe holds, page by page."""
    intents, after = [], None
    while True:
        params = {"limit": 100, **({"starting_after": after} if after else {})}
        page = stripe_client().v1.payment_intents.list(params=params)
        intents += page.data
        if not page.has_more:
            return intents
        after = page.data[-1].id


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_charge_each_due_gift_once(
    active_plan, fake_stripe, tmp_path
):
    plans = [active_plan(next_charge_on=date(2026, 12, 1)) for _ in range(40)]
    env = worker_env(
        fake_stripe,
        tmp_path / "mail",
        # Each run queues thanks emails; a private folder broker keeps them
        # away from the suite's queue.
        CELERY_BROKER_URL="filesystem://",
        MECENE_VAR_DIR=str(tmp_path / "var"),
        RECURRING_CHARGES_PER_SECOND="1000",
    )
    command = [sys.executable, "manage.py", "charge_recurring_gifts", "--date", "2026-12-01"]  # fmt: skip
    runs = [
        subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs

    per_plan = Counter(
        Gift.objects.filter(period="2026-12").values_list("recurring_id", flat=True)
    )
    assert per_plan == {plan.pk: 1 for plan in plans}
    assert not Gift.objects.exclude(status=Gift.Status.PAID).exists()
    charged = Counter(
        intent.metadata.to_dict().get("recurring_id") for intent in all_intents()
    )
    assert charged == {str(plan.pk): 1 for plan in plans}
    reported = " ".join(out.decode() for out, _err in outputs)
    assert reported.count("paid") >= 1


def sign_and_post_intent(client, intent, number):
    body = event_body(f"evt_bank_{number}", f"payment_intent.{intent['status_event']}",
                      intent["object"])  # fmt: skip
    return post(client, body)


@pytest.mark.django_db
def test_a_month_of_a_500_donor_programme(
    active_plan, settings, eager_tasks, django_capture_on_commit_callbacks
):
    """January 2027, day by day, as the daily beat job would run it.

    500 donors: 435 cards that work, 10 of them expiring in January; 25
    cards that decline from now on; 15 cards whose bank wants the donor to
    authenticate; 15 SEPA accounts that pay and 10 whose bank refuses the
    debit (the refusal arrives days later, as a webhook).
    """
    settings.RECURRING_CHARGES_PER_SECOND = Decimal(1000)
    settings.RECURRING_RETRY_DAYS = [3, 7, 10]
    plans = {"ok": [], "expiring": [], "declines": [], "3ds": [], "sepa": [],
             "sepa_fails": []}  # fmt: skip
    for number in range(500):
        day = date(2027, 1, 1 + number % 28)
        early = date(2027, 1, 1 + number % 15)  # so retries end in January
        if number < 425:
            group, plan = "ok", active_plan(next_charge_on=day)
        elif number < 435:
            group, plan = "expiring", active_plan(next_charge_on=day, exp=(1, 2027))
        elif number < 460:
            group, plan = "declines", active_plan(next_charge_on=early, kind="declines")
        elif number < 475:
            group, plan = "3ds", active_plan(next_charge_on=day, kind="3ds")
        elif number < 490:
            group, plan = "sepa", active_plan(next_charge_on=day, method="sepa")
        else:
            group = "sepa_fails"
            plan = active_plan(next_charge_on=early, method="sepa", iban=FAILING_IBAN)
        plans[group].append(plan.pk)

    client = Client()
    outcomes = Counter()
    bank_answers = 0
    for offset in range(31):
        day = date(2027, 1, 1) + timedelta(days=offset)
        with (
            freeze_time(f"{day} 07:00:00"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            run = recurring_charge_due(day)
        outcomes.update(run.outcomes)
        # The banks answer the day's debits; Stripe tells us by webhook.
        with (
            freeze_time(f"{day} 18:00:00"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            for gift in Gift.objects.filter(
                status=Gift.Status.PENDING, method="sepa", period="2027-01"
            ):
                intent = stripe_client().v1.payment_intents.retrieve(
                    gift.stripe_payment_intent_id
                )
                if intent.status == "processing":
                    continue
                kind = "succeeded" if intent.status == "succeeded" else "payment_failed"
                bank_answers += 1
                response = sign_and_post_intent(
                    client,
                    {"status_event": kind, "object": intent.to_dict()},
                    bank_answers,
                )
                assert response.status_code == 200

    def gifts(group, **filters):
        return Gift.objects.filter(recurring_id__in=plans[group], **filters)

    def plan_rows(group):
        return RecurringGift.objects.filter(pk__in=plans[group])

    # Exactly one gift per plan and month, whatever happened to it.
    per_plan = Gift.objects.values("recurring_id", "period").annotate(n=Count("pk"))
    assert {row["n"] for row in per_plan} == {1}
    assert Gift.objects.count() == 500

    for group in ("ok", "expiring", "sepa"):
        assert gifts(group, status=Gift.Status.PAID).count() == len(plans[group])
        assert all(p.status == "active" and p.next_charge_on.month == 2
                   for p in plan_rows(group))  # fmt: skip
    for group in ("declines", "sepa_fails"):
        assert gifts(group, status=Gift.Status.FAILED).count() == len(plans[group])
        rows = plan_rows(group)
        assert {(p.status, p.pause_reason, p.failed_tries) for p in rows} == {
            ("paused", "declined", 4)
        }
    assert gifts("3ds", status=Gift.Status.PENDING).count() == 15
    assert all(p.status == "active" for p in plan_rows("3ds"))

    # Four tries for each refused gift: the first and three retries.
    charged = Counter(
        intent.metadata.to_dict().get("recurring_id") for intent in all_intents()
    )
    for group, tries in (("ok", 1), ("declines", 4), ("sepa_fails", 4), ("3ds", 1)):
        assert {charged[str(pk)] for pk in plans[group]} == {tries}, group

    # Notices, once each: a decline warning and a pause per refused gift, an
    # authentication request per 3-D Secure payment, an expiry per old card.
    notices = Counter(RecurringNotice.objects.values_list("kind", flat=True))
    assert notices == {
        "declined": 35,
        "paused": 35,
        "authenticate": 15,
        "card_expiring": 10,
    }
    assert not RecurringNotice.objects.filter(sent_at__isnull=True).exists()
    subjects = Counter(message.subject for message in mail.outbox)
    assert subjects["Le don de ce mois n’a pas abouti"] == 35
    assert subjects["Votre don mensuel est en pause"] == 35
    assert subjects["Votre banque vous demande de confirmer le don de ce mois"] == 15
    assert subjects["Votre carte expire avant votre prochain don mensuel"] == 10
    # Each paid gift is thanked once (these donors chose an annual receipt).
    assert subjects["Merci pour votre don"] == 450
    # What the daily runs reported: SEPA debits wait for the bank, so each
    # refused one shows as processing on each of its four tries.
    assert outcomes == {
        "paid": 450,
        "requires_action": 15,
        "processing": 40,
        "declined": 75,
        "paused": 25,
    }
