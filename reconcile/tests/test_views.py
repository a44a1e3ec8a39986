"""The staff page /finance/reconciliation/ and who may use it."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from reconcile.models import Mismatch, ReconciliationRun

pytestmark = pytest.mark.django_db

PAGE = "/finance/reconciliation/"


def staff_with(*codenames):
    user = User.objects.create_user(
        "finance-" + "-".join(codenames or ("none",)), password="x", is_staff=True
    )
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(
                codename=codename, content_type__app_label="reconcile"
            )
        )
    return user


def test_staff_without_the_permission_is_refused(client):
    # Given a staff member without reconcile.view_reconciliationrun
    client.force_login(staff_with())

    # When they open the page or post a run, they are refused
    assert client.get(PAGE).status_code == 403
    today = timezone.localdate().isoformat()
    assert client.post(reverse("reconcile:start"), {"since": today}).status_code == 403
    assert not ReconciliationRun.objects.exists()


def test_viewer_cannot_start_a_run(client):
    # Given a staff member who may view but not run
    client.force_login(staff_with("view_reconciliationrun"))

    # When they post a run
    today = timezone.localdate().isoformat()
    response = client.post(reverse("reconcile:start"), {"since": today})

    # Then it is refused, and the page offers no form
    assert response.status_code == 403
    assert not ReconciliationRun.objects.exists()
    page = client.get(PAGE)
    assert page.status_code == 200
    assert reverse("reconcile:start") not in page.text


def test_page_lists_runs_payouts_and_unmatched_items(
    client, stripe_charge, reconcile_today
):
    # Given a run that found a charge without a gift
    stripe_charge(3000)
    reconcile_today()
    client.force_login(staff_with("view_reconciliationrun"))

    # When the page is opened in English
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")

    # Then it lists the run and the unmatched charge
    assert response.status_code == 200
    assert "Stripe charge without a gift" in response.text
    assert Mismatch.objects.get().key in response.text


def test_page_is_in_french(client):
    client.force_login(staff_with("view_reconciliationrun"))

    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="fr")

    assert "Rapprochement Stripe" in response.text


def test_run_posted_by_staff_with_permission_is_run_in_the_background(
    client, stripe_paid_gift, eager_tasks
):
    # Given a paid gift and a staff member allowed to run reconciliations
    stripe_paid_gift("100.00")
    staff = staff_with("view_reconciliationrun", "run_reconciliation")
    client.force_login(staff)

    # When they post today
    today = timezone.localdate().isoformat()
    response = client.post(reverse("reconcile:start"), {"since": today})

    # Then the task ran a reconciliation in their name
    assert response.status_code == 302
    run = ReconciliationRun.objects.get()
    assert (run.actor, run.status, run.matched_count) == (staff, "succeeded", 1)


def test_future_day_posted_is_a_400_and_nothing_is_queued(client, eager_tasks):
    client.force_login(staff_with("view_reconciliationrun", "run_reconciliation"))
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)

    response = client.post(
        reverse("reconcile:start"),
        {"since": tomorrow.isoformat()},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert "is in the future" in response.text
    assert not ReconciliationRun.objects.exists()


def test_mismatch_is_settled_with_a_note(client, stripe_charge, reconcile_today):
    # Given an unmatched charge and a staff member allowed to settle it
    stripe_charge(3000)
    reconcile_today()
    mismatch = Mismatch.objects.get()
    staff = staff_with("view_reconciliationrun", "change_mismatch")
    client.force_login(staff)
    url = reverse("reconcile:mismatch_resolve", args=[mismatch.pk])

    # When they post without a note, then with one
    refused = client.post(url, {"note": "  "})
    settled = client.post(url, {"note": "test charge, refunded by phone"})

    # Then only the second settles it, in their name
    assert (refused.status_code, settled.status_code) == (400, 302)
    mismatch.refresh_from_db()
    assert (mismatch.resolved, mismatch.resolved_by) == (True, staff)
    assert mismatch.resolved_note == "test charge, refunded by phone"


def test_viewer_cannot_settle_a_mismatch(client, stripe_charge, reconcile_today):
    stripe_charge(3000)
    reconcile_today()
    mismatch = Mismatch.objects.get()
    client.force_login(staff_with("view_reconciliationrun"))

    url = reverse("reconcile:mismatch_resolve", args=[mismatch.pk])
    response = client.post(url, {"note": "mine"})

    assert response.status_code == 403
    mismatch.refresh_from_db()
    assert not mismatch.resolved


def test_page_lists_payouts_with_their_totals(
    client, stripe_paid_gift, reconcile_today, stripe_api
):
    # Given a 100.00 gift paid out and reconciled
    from devtools.stripe_server import pay_out

    stripe_paid_gift("100.00")
    stripe_payout = pay_out(stripe_api)
    reconcile_today()
    client.force_login(staff_with("view_reconciliationrun"))

    # When the page is opened
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")

    # Then the payout is listed with its fees and net, fully explained
    assert stripe_payout["id"] in response.text
    assert "1.75" in response.text
    assert "98.25" in response.text
    assert "off by" not in response.text
