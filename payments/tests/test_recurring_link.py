"""The donor's signed page for a monthly gift: changes, refusals, links."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money
from freezegun import freeze_time

from conftest import stripe_client
from payments.models import RecurringEvent, RecurringGift
from payments.recurring_changes import recurring_stop
from payments.recurring_links import manage_token

pytestmark = pytest.mark.django_db


# --- The donor's signed link -------------------------------------------------------


def manage_path(plan):
    return reverse("monthly:manage", args=[manage_token(plan)])


def test_the_signed_link_lets_the_donor_change_pause_resume_and_stop(
    active_plan, client
):
    plan = active_plan(next_charge_on=date(2027, 1, 5))
    path = manage_path(plan)
    assert client.get(path).status_code == 200

    response = client.post(path, {"action": "amount", "amount": "30,50"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.amount == Money(Decimal("30.50"), "EUR")

    client.post(path, {"action": "pause"})
    plan.refresh_from_db()
    assert plan.status == RecurringGift.Status.PAUSED
    client.post(path, {"action": "resume"})
    plan.refresh_from_db()
    assert plan.status == RecurringGift.Status.ACTIVE
    client.post(path, {"action": "stop"})
    plan.refresh_from_db()
    assert plan.status == RecurringGift.Status.STOPPED
    kinds = list(plan.events.values_list("kind", flat=True))
    assert kinds == ["amount_changed", "paused", "resumed", "stopped"]


@pytest.mark.parametrize("amount", ["2", "-10", "abc", "0", "1e9"])
def test_a_bad_new_amount_is_refused_and_nothing_changes(active_plan, client, amount):
    plan = active_plan(amount="15.00")
    response = client.post(manage_path(plan), {"action": "amount", "amount": amount})
    assert response.status_code == 400
    plan.refresh_from_db()
    assert plan.amount == Money(Decimal("15.00"), "EUR")
    assert not RecurringEvent.objects.filter(recurring=plan).exists()


def test_an_unknown_action_and_a_change_to_a_stopped_gift_are_refused(
    active_plan, client
):
    plan = active_plan()
    assert client.post(manage_path(plan), {"action": "delete"}).status_code == 400
    recurring_stop(plan)
    assert client.post(manage_path(plan), {"action": "resume"}).status_code == 409
    plan.refresh_from_db()
    assert plan.status == RecurringGift.Status.STOPPED


def test_a_forged_link_is_404_and_an_old_one_410(active_plan, client, settings):
    plan = active_plan()
    token = manage_token(plan)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.get(reverse("monthly:manage", args=[forged])).status_code == 404
    assert (
        client.post(
            reverse("monthly:manage", args=[forged]), {"action": "stop"}
        ).status_code
        == 404
    )
    later = timedelta(days=settings.RECURRING_LINK_MAX_AGE_DAYS + 1)
    with freeze_time(timezone.localdate() + later):
        response = client.post(
            reverse("monthly:manage", args=[token]), {"action": "stop"}
        )
    assert response.status_code == 410
    plan.refresh_from_db()
    assert plan.status == RecurringGift.Status.ACTIVE


def test_a_signed_token_that_is_not_a_plan_id_is_404(client):
    from django.core import signing

    from payments.recurring_links import MANAGE_SALT

    token = signing.dumps("not-a-uuid", salt=MANAGE_SALT, compress=True)
    assert client.get(reverse("monthly:manage", args=[token])).status_code == 404


def test_a_new_iban_needs_a_sepa_account_and_the_mandate(active_plan, client):
    plan = active_plan(method="sepa")
    url = reverse("monthly:card_start", args=[manage_token(plan)])

    def start(**body):
        return client.post(url, body, content_type="application/json")

    outside = start(iban="SA0380000000608010167519", mandate_accepted=True)
    unaccepted = start(iban="DE89370400440532013000")
    bad = start(iban="DE89370400440532013001", mandate_accepted=True)
    assert [r.status_code for r in (outside, unaccepted, bad)] == [400, 400, 400]
    assert "SEPA" in outside.json()["error"]
    assert not plan.events.filter(kind="card_change_started").exists()

    good = start(iban="DE89 3704 0044 0532 0130 00", mandate_accepted=True)
    assert good.status_code == 200
    setup_id = good.json()["client_secret"].split("_secret")[0]
    stripe_client().v1.setup_intents.confirm(
        setup_id,
        params={
            "payment_method_data": {
                "type": "sepa_debit",
                "sepa_debit": {"iban": "DE89370400440532013000"},
                "billing_details": {"name": "A B", "email": "a@example.org"},
            }
        },
    )
    old_mandate = plan.mandate
    done = client.post(
        reverse("monthly:card_finish", args=[manage_token(plan)]),
        {"setup_intent": setup_id},
        content_type="application/json",
    )
    assert done.status_code == 200
    plan.refresh_from_db()
    old_mandate.refresh_from_db()
    assert plan.mandate_id != old_mandate.pk
    assert (plan.mandate.iban_country, plan.mandate.iban_last4) == ("DE", "3000")
    assert old_mandate.iban_last4 == "2606"


def test_the_manage_link_of_one_gift_cannot_open_the_authentication_page(
    active_plan, client
):
    plan = active_plan()
    token = manage_token(plan)
    response = client.get(reverse("monthly:authenticate", args=[token]))
    assert response.status_code == 404


def test_a_plan_in_another_currency_keeps_that_currency_s_bounds(active_plan, client):
    plan = active_plan(amount="15.00")
    RecurringGift.objects.filter(pk=plan.pk).update(amount_currency="DKK")
    path = manage_path(plan)
    assert client.post(path, {"action": "amount", "amount": "9.99"}).status_code == 400
    assert (
        client.post(path, {"action": "amount", "amount": "150000"}).status_code == 302
    )
    plan.refresh_from_db()
    assert plan.amount == Money(Decimal("150000.00"), "DKK")
