"""Monthly gifts against the offline Stripe: first payment, the daily run,
declines and retries, authentication, SEPA failures and card expiry."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from djmoney.money import Money
from freezegun import freeze_time

from conftest import stripe_client
from payments.models import Gift, RecurringGift, RecurringNotice
from payments.recurring import month_after, next_charge_after, recurring_charge_due
from payments.recurring_changes import recurring_pause, recurring_resume, recurring_stop
from payments.tests.conftest import FAILING_IBAN, GOOD_IBAN

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_run(settings):
    settings.RECURRING_CHARGES_PER_SECOND = Decimal(1000)
    settings.RECURRING_RETRY_DAYS = [3, 7, 10]


def intents_of(plan):
    """PaymentIntents the offline Stripe holds for this plan (from metadata)."""
    return [
        intent
        for intent in stripe_client().v1.payment_intents.list(params={"limit": 100})
        if intent.metadata.to_dict().get("recurring_id") == str(plan.pk)
    ]


# --- The schedule's dates --------------------------------------------------------


def test_month_after_keeps_the_charge_day_and_crosses_the_year():
    assert month_after(date(2026, 12, 28), 28) == date(2027, 1, 28)
    assert month_after(date(2027, 1, 31), 28) == date(2027, 2, 28)
    assert next_charge_after(date(2027, 3, 10), 12) == date(2027, 3, 12)
    assert next_charge_after(date(2027, 3, 12), 12) == date(2027, 4, 12)


# --- The first payment, on the donate page -------------------------------------


def test_first_card_payment_starts_the_plan_a_month_later(start_monthly):
    with freeze_time("2026-12-04 10:00:00"):
        plan, gift, outcome = start_monthly(amount="25.00")

    plan.refresh_from_db()
    assert outcome.status == "paid"
    assert gift.status == Gift.Status.PAID
    assert gift.period == "2026-12"
    assert plan.status == RecurringGift.Status.ACTIVE
    assert (plan.charge_day, plan.next_charge_on) == (4, date(2027, 1, 4))
    assert (plan.card_exp_month, plan.card_exp_year) == (12, 2030)
    assert plan.stripe_payment_method_id == gift.stripe_payment_method_id
    intent = stripe_client().v1.payment_intents.retrieve(gift.stripe_payment_intent_id)
    assert intent.metadata["recurring_id"] == str(plan.pk)


def test_first_payment_on_the_31st_is_charged_on_the_28th(start_monthly):
    with freeze_time("2027-01-31 10:00:00"):
        plan, _gift, _outcome = start_monthly()
    plan.refresh_from_db()
    assert (plan.charge_day, plan.next_charge_on) == (28, date(2027, 2, 28))


def test_first_sepa_payment_stores_the_mandate_reference(start_monthly):
    plan, gift, outcome = start_monthly(method="sepa")
    plan.refresh_from_db()
    assert outcome.status == "paid"
    assert plan.method == "sepa"
    assert plan.status == RecurringGift.Status.ACTIVE
    assert plan.mandate.iban_last4 == GOOD_IBAN[-4:]
    assert plan.mandate.reference  # Stripe's mandate reference
    assert gift.mandate_id == plan.mandate_id
    method = stripe_client().v1.payment_methods.retrieve(gift.stripe_payment_method_id)
    assert method.type == "sepa_debit"


def test_a_declined_first_payment_leaves_a_plan_that_is_never_charged(start_monthly):
    plan, gift, outcome = start_monthly(card="4000000000000341")
    plan.refresh_from_db()
    assert outcome.status == "declined"
    assert plan.status == RecurringGift.Status.PENDING
    assert recurring_charge_due(date(2030, 1, 1)).due == 0


# --- The daily run ---------------------------------------------------------------


def test_due_plan_is_charged_once_however_often_the_run_repeats(active_plan):
    plan = active_plan(next_charge_on=date(2027, 1, 5))

    before = recurring_charge_due(date(2027, 1, 4))
    first = recurring_charge_due(date(2027, 1, 5))
    again = recurring_charge_due(date(2027, 1, 5))
    later = recurring_charge_due(date(2027, 1, 20))

    plan.refresh_from_db()
    gift = plan.gifts.get()
    assert (before.due, first.outcomes, again.due, later.due) == (0, {"paid": 1}, 0, 0)
    assert gift.period == "2027-01"
    assert gift.status == Gift.Status.PAID
    assert gift.method == "card"
    assert gift.receipt_mode == "annual"
    assert plan.next_charge_on == date(2027, 2, 5)
    assert len(intents_of(plan)) == 1


def test_missed_months_are_not_charged_in_a_burst(active_plan):
    plan = active_plan(next_charge_on=date(2027, 1, 5))
    # The scheduler did not run for two months and a half, then runs often.
    for _ in range(4):
        recurring_charge_due(date(2027, 3, 20))
    assert list(plan.gifts.values_list("period", flat=True)) == ["2027-03"]
    plan.refresh_from_db()
    assert plan.next_charge_on == date(2027, 4, 5)
    skipped = plan.events.get(kind="months_not_charged")
    assert skipped.data["periods"] == ["2027-01", "2027-02"]


def test_a_closed_campaign_stops_its_monthly_gifts(active_plan, campaign):
    plan = active_plan(next_charge_on=date(2027, 1, 5))
    campaign.ends_on = date(2026, 12, 31)
    campaign.save()
    run = recurring_charge_due(date(2027, 1, 5))
    plan.refresh_from_db()
    assert run.outcomes == {"stopped": 1}
    assert plan.status == RecurringGift.Status.STOPPED
    assert not plan.gifts.exists()


def test_a_pending_retry_holds_the_next_month_back(active_plan):
    plan = active_plan(next_charge_on=date(2027, 1, 28), kind="declines")
    with freeze_time("2027-01-28 07:00:00"):
        recurring_charge_due(date(2027, 1, 28))
    plan.refresh_from_db()
    assert plan.retry_on == date(2027, 1, 31)
    # Say the retry was pushed past the next charge day.
    RecurringGift.objects.filter(pk=plan.pk).update(retry_on=date(2027, 3, 1))
    assert recurring_charge_due(date(2027, 2, 28)).outcomes == {"skipped": 1}
    assert list(plan.gifts.values_list("period", flat=True)) == ["2027-01"]


def test_the_command_charges_and_its_dry_run_does_not(active_plan, capsys):
    plan = active_plan(next_charge_on=date(2027, 1, 5))
    with freeze_time("2027-01-06 08:00:00"):
        call_command("charge_recurring_gifts", "--date", "2027-01-05", "--dry-run")
        assert "1 monthly gifts due on 2027-01-05" in capsys.readouterr().out
        assert not plan.gifts.exists()
        call_command("charge_recurring_gifts")
    assert "paid 1" in capsys.readouterr().out
    assert plan.gifts.get().status == Gift.Status.PAID


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2027-13-01", "must be a date"),
        ("tomorrow", "must be a date"),
        ("", "must be a date"),
        ("2001-01-01", "more than a year ago"),
    ],
)
def test_the_command_refuses_a_bad_date(value, message, active_plan):
    plan = active_plan()
    with pytest.raises(CommandError, match=message):
        call_command("charge_recurring_gifts", "--date", value)
    assert not plan.gifts.exists()


def test_the_command_refuses_a_future_date_but_may_preview_it(active_plan, capsys):
    plan = active_plan(next_charge_on=date(2027, 1, 5))
    with freeze_time("2027-01-01 08:00:00"):
        with pytest.raises(CommandError, match="in the future"):
            call_command("charge_recurring_gifts", "--date", "2027-01-05")
        call_command("charge_recurring_gifts", "--date", "2027-01-05", "--dry-run")
    assert "1 monthly gifts due on 2027-01-05" in capsys.readouterr().out
    assert not plan.gifts.exists()


def test_stripe_down_leaves_the_month_due_and_the_next_run_charges_it(
    active_plan, settings
):
    from payments import gateway

    plan = active_plan(next_charge_on=date(2027, 1, 5))
    working_base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    gateway.reset_client()
    try:
        down = recurring_charge_due(date(2027, 1, 5))
    finally:
        settings.STRIPE_API_BASE = working_base
        gateway.reset_client()
    plan.refresh_from_db()
    assert down.outcomes == {"unavailable": 1}
    assert plan.next_charge_on == date(2027, 1, 5)
    assert not plan.gifts.exists()

    up = recurring_charge_due(date(2027, 1, 5))
    assert up.outcomes == {"paid": 1}
    assert plan.gifts.get().status == Gift.Status.PAID


def test_stopped_and_paused_plans_are_not_charged(active_plan):
    paused = recurring_pause(active_plan(next_charge_on=date(2027, 1, 5)))
    stopped = recurring_stop(active_plan(next_charge_on=date(2027, 1, 5)))
    run = recurring_charge_due(date(2027, 1, 5))
    assert run.due == 0
    assert not paused.gifts.exists()
    assert not stopped.gifts.exists()


def test_resume_starts_at_the_next_charge_day_without_charging_missed_months(
    active_plan,
):
    plan = recurring_pause(active_plan(next_charge_on=date(2027, 1, 5)))
    plan = recurring_resume(plan, today=date(2027, 3, 10))
    assert plan.next_charge_on == date(2027, 4, 5)
    assert recurring_charge_due(date(2027, 3, 10)).due == 0


# --- Declines, retries and the pause ---------------------------------------------


def test_declined_card_is_retried_on_schedule_then_paused_and_donor_told(
    active_plan, eager_tasks, django_capture_on_commit_callbacks
):
    plan = active_plan(next_charge_on=date(2027, 1, 5), kind="declines")
    outcomes = {}
    for offset in range(0, 16):
        day = date(2027, 1, 5) + timedelta(days=offset)
        with (
            freeze_time(f"{day} 07:00:00"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            run = recurring_charge_due(day)
        if run.outcomes:
            outcomes[offset] = run.outcomes

    plan.refresh_from_db()
    gift = plan.gifts.get()
    assert outcomes == {
        0: {"declined": 1},
        3: {"declined": 1},
        7: {"declined": 1},
        10: {"paused": 1},
    }
    assert plan.status == RecurringGift.Status.PAUSED
    assert plan.pause_reason == RecurringGift.PauseReason.DECLINED
    assert gift.status == Gift.Status.FAILED
    assert gift.failure_code == "card_declined"
    assert len(intents_of(plan)) == 4
    kinds = sorted(plan.notices.values_list("kind", flat=True))
    assert kinds == ["declined", "paused"]
    subjects = [message.subject for message in mail.outbox]
    assert subjects == [
        "Le don de ce mois n’a pas abouti",
        "Votre don mensuel est en pause",
    ]
    # Every email carries the signed link to change, pause or stop.
    assert all("/monthly/" in message.body for message in mail.outbox)


def test_a_new_card_resumes_a_plan_paused_by_declines(active_plan, stripe_methods):
    from payments.recurring_changes import (
        recurring_finish_card_change,
        recurring_prepare_card_change,
    )

    plan = active_plan(next_charge_on=date(2027, 1, 5), kind="declines")
    for offset in (0, 3, 7, 10):
        recurring_charge_due(date(2027, 1, 5) + timedelta(days=offset))
    plan.refresh_from_db()
    assert plan.status == RecurringGift.Status.PAUSED

    secret = recurring_prepare_card_change(plan)
    setup_id = secret.split("_secret")[0]
    stripe_client().v1.setup_intents.confirm(
        setup_id,
        params={
            "payment_method_data": {
                "type": "card",
                "card": {
                    "number": "4242424242424242",
                    "exp_month": 6,
                    "exp_year": 2031,
                    "cvc": "123",
                },
            }
        },
    )
    plan = recurring_finish_card_change(plan, setup_id, today=date(2027, 1, 16))
    assert plan.status == RecurringGift.Status.ACTIVE
    assert (plan.card_exp_month, plan.card_exp_year) == (6, 2031)
    assert plan.next_charge_on == date(2027, 2, 5)
    assert recurring_charge_due(date(2027, 2, 5)).outcomes == {"paid": 1}


def test_a_foreign_setup_intent_cannot_change_the_card(active_plan):
    from payments.recurring import RecurringStateError
    from payments.recurring_changes import recurring_finish_card_change

    plan = active_plan()
    with pytest.raises(RecurringStateError):
        recurring_finish_card_change(plan, "seti_someone_else")


# --- Authentication ----------------------------------------------------------------


def test_a_payment_needing_authentication_mails_a_link_that_completes_it(
    active_plan, eager_tasks, client, django_capture_on_commit_callbacks
):
    plan = active_plan(next_charge_on=date(2027, 1, 5), kind="3ds")
    with (
        freeze_time("2027-01-05 07:00:00"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = recurring_charge_due(date(2027, 1, 5))
        recurring_charge_due(date(2027, 1, 6))

    gift = plan.gifts.get()
    assert run.outcomes == {"requires_action": 1}
    assert gift.status == Gift.Status.PENDING
    [message] = mail.outbox
    assert "confirmer" in message.subject
    link = next(
        word for word in message.body.split() if "/monthly/authenticate/" in word
    )
    path = link.split("127.0.0.1:8000", 1)[-1]

    with freeze_time("2027-01-07 12:00:00"):
        page = client.get(path)
    assert page.status_code == 200
    client_secret = page.context["client_secret"]
    assert client_secret.startswith(gift.stripe_payment_intent_id)

    # What the fake Stripe.js does when the donor completes 3-D Secure.
    stripe_client().raw_request(
        "post",
        f"/v1/payment_intents/{gift.stripe_payment_intent_id}/_authenticate",
        success="true",
        client_secret=client_secret,
    )
    answer = client.post(reverse("campaigns:gift_confirm", args=[gift.token]))
    assert answer.json()["status"] == "paid"
    gift.refresh_from_db()
    assert gift.status == Gift.Status.PAID


# --- SEPA ----------------------------------------------------------------------------


def test_a_sepa_debit_the_bank_fails_is_retried_like_a_decline(active_plan):
    from payments.services import gift_refresh_from_stripe

    plan = active_plan(
        next_charge_on=date(2027, 1, 5), method="sepa", iban=FAILING_IBAN
    )
    run = recurring_charge_due(date(2027, 1, 5))
    gift = plan.gifts.get()
    assert run.outcomes == {"processing": 1}
    assert gift.status == Gift.Status.PENDING

    # The bank's answer (a webhook in production), read back from Stripe.
    import time

    deadline = time.monotonic() + 5
    while gift.status == Gift.Status.PENDING and time.monotonic() < deadline:
        time.sleep(0.2)
        gift = gift_refresh_from_stripe(gift)
    plan.refresh_from_db()
    assert gift.status == Gift.Status.FAILED
    assert plan.failed_tries == 1
    assert plan.retry_on is not None


# --- Card expiry -------------------------------------------------------------------


def test_card_expiring_before_the_next_payment_is_noticed_once(
    active_plan, eager_tasks, django_capture_on_commit_callbacks
):
    expiring = active_plan(next_charge_on=date(2027, 1, 5), exp=(1, 2027))
    active_plan(next_charge_on=date(2027, 1, 5), exp=(2, 2027))
    with (
        freeze_time("2027-01-05 07:00:00"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = recurring_charge_due(date(2027, 1, 5))
        second = recurring_charge_due(date(2027, 1, 6))
    assert (first.expiry_notices, second.expiry_notices) == (1, 0)
    assert expiring.notices.get().kind == RecurringNotice.Kind.CARD_EXPIRING
    expiry_mail = [m for m in mail.outbox if "expire" in m.subject]
    assert len(expiry_mail) == 1
    assert expiry_mail[0].to == [expiring.donor.email]


def test_a_refused_first_sepa_debit_stops_the_plan_and_tells_the_donor(
    stripe_api, campaign, eager_tasks, django_capture_on_commit_callbacks
):
    from conftest import DONOR_DETAILS
    from payments.services import gift_create, gift_prepare_payment
    from payments.tests.conftest import confirm_sepa_setup_in_browser, mandate_for

    gift2 = gift_create(
        campaign=campaign,
        donor_details={**DONOR_DETAILS, "email": "other@example.org", "language": "fr"},
        amount=Money(Decimal("20.00"), "EUR"),
        monthly=True,
        method="sepa",
        mandate=mandate_for(FAILING_IBAN),
    )
    gift_prepare_payment(gift2)
    gift2.refresh_from_db()
    confirm_sepa_setup_in_browser(gift2, iban=FAILING_IBAN)
    from payments.services import gift_charge, gift_refresh_from_stripe

    outcome = gift_charge(gift2, setup_intent_id=gift2.stripe_setup_intent_id)
    assert outcome.status == "processing"
    gift2.refresh_from_db()
    import time

    deadline = time.monotonic() + 15
    with django_capture_on_commit_callbacks(execute=True):
        while gift2.status == Gift.Status.PENDING and time.monotonic() < deadline:
            time.sleep(0.2)
            gift2 = gift_refresh_from_stripe(gift2)
    second = gift2.recurring
    second.refresh_from_db()
    assert gift2.status == Gift.Status.FAILED
    assert second.status == RecurringGift.Status.STOPPED
    assert [m.subject for m in mail.outbox] == ["Votre don mensuel n’a pas pu démarrer"]
    assert mail.outbox[0].to == ["other@example.org"]


def test_a_refused_one_off_debit_is_told_to_the_donor_once(
    stripe_api, campaign, eager_tasks, django_capture_on_commit_callbacks
):
    import time

    from conftest import DONOR_DETAILS
    from payments.services import (
        gift_charge,
        gift_create,
        gift_prepare_payment,
        gift_refresh_from_stripe,
        gift_send_failure_email,
    )
    from payments.tests.conftest import confirm_sepa_setup_in_browser, mandate_for

    gift = gift_create(
        campaign=campaign,
        donor_details={**DONOR_DETAILS, "language": "en"},
        amount=Money(Decimal("30.00"), "EUR"),
        method="sepa",
        mandate=mandate_for(FAILING_IBAN),
    )
    gift_prepare_payment(gift)
    gift.refresh_from_db()
    confirm_sepa_setup_in_browser(gift, iban=FAILING_IBAN)
    assert gift_charge(gift, setup_intent_id=gift.stripe_setup_intent_id).status == (
        "processing"
    )
    gift.refresh_from_db()
    deadline = time.monotonic() + 15
    with django_capture_on_commit_callbacks(execute=True):
        while gift.status == Gift.Status.PENDING and time.monotonic() < deadline:
            time.sleep(0.2)
            gift = gift_refresh_from_stripe(gift)
    assert gift.status == Gift.Status.FAILED
    assert [m.subject for m in mail.outbox] == ["Your direct debit did not go through"]
    assert "/campaigns/passeport-jo/donate/" in mail.outbox[0].body
    assert gift_send_failure_email(gift.pk) is False
    assert len(mail.outbox) == 1


def test_a_notice_whose_message_was_lost_is_sent_once_by_the_sweep(
    active_plan, eager_tasks
):
    from datetime import timedelta as delta

    from django.utils import timezone

    from payments.tasks import recurring_notice_sweep_task

    plan = active_plan(next_charge_on=date(2027, 1, 5), exp=(1, 2027))
    # The row exists but its task never ran (a broker down, a worker killed).
    notice = RecurringNotice.objects.create(
        recurring=plan, kind=RecurringNotice.Kind.CARD_EXPIRING, key="2027-01"
    )
    RecurringNotice.objects.filter(pk=notice.pk).update(
        created_at=timezone.now() - delta(minutes=10)
    )

    assert recurring_notice_sweep_task() == 1
    assert recurring_notice_sweep_task() == 0
    notice.refresh_from_db()
    assert notice.sent_at is not None
    assert [m.to for m in mail.outbox] == [[plan.donor.email]]
