"""Staff and finance in the Django admin."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User

from payments.models import Gift
from receipts.models import ReceiptEvent
from receipts.services import receipt_issue_for_gift

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    user = User.objects.create_superuser("staff", password="x")
    client.force_login(user)
    return user


def test_campaign_list_shows_progress(client, superuser, paid_gift):
    paid_gift("2100.00")

    response = client.get("/admin/campaigns/campaign/")

    assert response.status_code == 200
    assert b"10 %" in response.content


def test_gift_list_and_page_show_receipt_and_history(client, superuser, paid_gift):
    gift = paid_gift()
    receipt = receipt_issue_for_gift(gift.pk)

    listing = client.get("/admin/payments/gift/")
    page = client.get(f"/admin/payments/gift/{gift.pk}/change/")

    assert listing.status_code == page.status_code == 200
    assert receipt.number.encode() in listing.content
    assert b"paid" in page.content


def test_finance_downloads_a_receipt_and_the_download_is_logged(client, paid_gift):
    finance = User.objects.create_user("finance", password="x", is_staff=True)
    finance.user_permissions.add(Permission.objects.get(codename="view_receipt"))
    client.force_login(finance)
    receipt = receipt_issue_for_gift(paid_gift().pk)

    response = client.get(f"/admin/receipts/receipt/{receipt.pk}/download/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    event = receipt.events.get(kind=ReceiptEvent.Kind.DOWNLOADED)
    assert event.actor == finance


def test_staff_without_receipt_permission_cannot_download(client, paid_gift):
    client.force_login(User.objects.create_user("intern", password="x", is_staff=True))
    receipt = receipt_issue_for_gift(paid_gift().pk)

    response = client.get(f"/admin/receipts/receipt/{receipt.pk}/download/")

    assert response.status_code == 403
    assert not receipt.events.filter(kind=ReceiptEvent.Kind.DOWNLOADED).exists()


def test_staff_record_the_received_date_and_counterparts_and_nothing_else(
    client, superuser, paid_gift
):
    gift = paid_gift("50.00")
    page = client.get(f"/admin/payments/gift/{gift.pk}/change/")
    form = {
        "received_on": "2026-03-02",
        "counterpart_value_0": "5.00",
        "counterpart_value_1": "EUR",
        "refunds-TOTAL_FORMS": "0",
        "refunds-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "amount_0": "1.00",
    }

    response = client.post(f"/admin/payments/gift/{gift.pk}/change/", form)

    gift.refresh_from_db()
    assert page.status_code == 200
    assert response.status_code == 302, response.content[:2000]
    assert str(gift.received_on) == "2026-03-02"
    assert gift.counterpart_value.amount == Decimal("5.00")
    assert gift.amount.amount == Decimal("50.00")


@pytest.mark.parametrize(
    ("received_on", "counterpart", "error"),
    [
        ("1900-01-01", "0.00", "before"),
        ("2099-01-01", "0.00", "future"),
        ("2026-03-02", "-5.00", "between zero"),
        ("2026-03-02", "60.00", "between zero"),
    ],
)
def test_a_date_outside_the_open_years_or_a_counterpart_above_the_gift_is_refused(
    client, superuser, paid_gift, received_on, counterpart, error
):
    gift = paid_gift("50.00")
    form = {
        "received_on": received_on,
        "counterpart_value_0": counterpart,
        "counterpart_value_1": "EUR",
        "refunds-TOTAL_FORMS": "0",
        "refunds-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }

    response = client.post(
        f"/admin/payments/gift/{gift.pk}/change/", form, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    gift.refresh_from_db()
    assert gift.received_on is None


def test_the_date_of_a_receipted_gift_is_frozen(client, superuser, paid_gift):
    from receipts.services import receipt_issue_for_gift

    gift = paid_gift("50.00")
    receipt_issue_for_gift(gift.pk, notify=False)
    form = {
        "received_on": "2026-03-02",
        "counterpart_value_0": "0.00",
        "counterpart_value_1": "EUR",
        "refunds-TOTAL_FORMS": "0",
        "refunds-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }

    response = client.post(
        f"/admin/payments/gift/{gift.pk}/change/", form, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "receipt is issued" in response.content.decode()
    gift.refresh_from_db()
    assert gift.received_on is None


def test_receipts_and_gifts_cannot_be_deleted_or_added_in_the_admin(
    client, superuser, paid_gift
):
    gift = paid_gift()
    receipt = receipt_issue_for_gift(gift.pk)

    assert (
        client.get(f"/admin/receipts/receipt/{receipt.pk}/delete/").status_code == 403
    )
    assert client.get(f"/admin/payments/gift/{gift.pk}/delete/").status_code == 403
    assert client.get("/admin/payments/gift/add/").status_code == 403


def test_admin_action_queues_missing_receipts(
    client, superuser, paid_gift, eager_tasks
):
    gift = paid_gift()

    response = client.post(
        "/admin/payments/gift/",
        {"action": "issue_missing_receipts", "_selected_action": [gift.pk]},
        follow=True,
    )

    assert response.status_code == 200
    gift = Gift.objects.get(pk=gift.pk)
    assert gift.receipts.get().number
    assert gift.events.filter(kind="receipt_requested", actor=superuser).exists()


def test_annual_summary_page_lists_its_gifts(client, superuser, paid_gift, make_donor):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from receipts.annual import receipt_issue_annual

    donor = make_donor(receipt_preference="annual")
    gift = paid_gift("30.00", donor=donor, receipt_mode="annual")
    Gift.objects.filter(pk=gift.pk).update(
        paid_at=datetime(2025, 5, 1, tzinfo=ZoneInfo("UTC"))
    )
    summary = receipt_issue_annual(donor.pk, 2025)

    listing = client.get("/admin/receipts/receipt/?kind=annual")
    page = client.get(f"/admin/receipts/receipt/{summary.pk}/change/")

    assert summary.number.encode() in listing.content
    assert page.status_code == 200
    assert f"Gift #{gift.pk}".encode() in page.content


def test_a_tampered_pdf_is_not_handed_out(client, superuser, paid_gift):
    receipt = receipt_issue_for_gift(paid_gift().pk)
    with open(receipt.pdf.path, "ab") as handle:
        handle.write(b"%tampered")

    response = client.get(
        f"/admin/receipts/receipt/{receipt.pk}/download/", follow=True
    )

    assert b"no longer matches" in response.content
    assert not receipt.events.filter(kind=ReceiptEvent.Kind.DOWNLOADED).exists()


def test_a_cancelled_receipt_downloads_under_a_cancelled_name(
    client, superuser, paid_gift
):
    from receipts.corrections import receipt_cancel

    receipt = receipt_issue_for_gift(paid_gift().pk)
    receipt_cancel(receipt.pk, reason="refunded", notify=False)

    response = client.get(f"/admin/receipts/receipt/{receipt.pk}/download/")

    assert (
        f'filename="ANNULE-recu-fiscal-{receipt.number}.pdf"'
        in response["Content-Disposition"]
    )


def test_issue_missing_receipts_leaves_annual_and_foreign_gifts_alone(
    client, superuser, paid_gift
):
    gift = paid_gift(receipt_mode="annual")

    client.post(
        "/admin/payments/gift/",
        {"action": "issue_missing_receipts", "_selected_action": [gift.pk]},
        follow=True,
    )

    assert not gift.events.filter(kind="receipt_requested").exists()
