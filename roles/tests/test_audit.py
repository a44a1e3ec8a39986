"""The audit trail: what staff did to money, receipts and roles."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from djmoney.money import Money

from finance.bundles import bundle_build, bundle_request
from payments.refunds import gift_refund
from receipts.services import receipt_issue_for_gift
from roles.audit import audit_record
from roles.definitions import FINANCE
from roles.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_client(client, role_user):
    user = role_user("finance")
    client.force_login(user)
    client.user = user
    return client


def test_an_entry_keeps_actor_object_ids_and_amounts_with_their_currency(
    paid_gift, role_user
):
    gift = paid_gift()
    actor = role_user("finance")

    entry = audit_record(actor, "gift.checked", gift, amount=Money("12.50", "USD"))

    entry.refresh_from_db()
    assert (entry.actor, entry.action) == (actor, "gift.checked")
    assert (entry.object_type, entry.object_id) == ("payments.gift", str(gift.pk))
    assert entry.data == {"amount": {"amount": "12.50", "currency": "USD"}}
    assert entry.ip is None  # no request: a shell or a command


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger on PostgreSQL")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE roles_auditentry SET action = 'nothing' WHERE id = %s",
        "DELETE FROM roles_auditentry WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_entry(sql):
    entry = audit_record(None, "export.donations_downloaded", None, year=2026)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])

    assert AuditEntry.objects.get(pk=entry.pk).action == "export.donations_downloaded"


def test_the_orm_cannot_delete_an_entry_either():
    entry = audit_record(None, "roles.synced", None)

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_admin_shows_entries_but_offers_no_change(client, role_user):
    admin = role_user("administrator")
    client.force_login(admin)
    entry = audit_record(admin, "roles.synced", None)
    url = f"/admin/roles/auditentry/{entry.pk}/"

    assert client.get("/admin/roles/auditentry/").status_code == 200
    assert client.get(url + "change/").status_code == 200  # read-only view
    assert client.post(url + "change/", {"action": "x"}).status_code == 403
    assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/roles/auditentry/add/").status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "roles.synced"


def test_a_refund_by_staff_is_audited_with_the_request_ip(finance_client, paid_gift):
    gift = paid_gift("80.00")

    finance_client.post(
        reverse("admin:payments_gift_refund", args=[gift.pk]),
        {"amount": "80.00", "reason": "Asked", "request_id": uuid.uuid4()},
        REMOTE_ADDR="192.0.2.7",
    )

    # The gift's history holds the details; the entry points to that event.
    event = gift.events.get(kind="refunded")
    entry = AuditEntry.objects.get(action="gift.refunded")
    assert entry.actor == finance_client.user
    assert (entry.object_type, entry.object_id) == ("payments.gift", str(gift.pk))
    assert entry.data == {"event": event.pk}
    assert entry.ip == "192.0.2.7"


def test_the_receipt_cancelled_by_a_refund_is_audited_as_well(paid_gift, role_user):
    actor = role_user("finance")
    gift = paid_gift("50.00")
    receipt = receipt_issue_for_gift(gift.pk, notify=False)

    gift_refund(gift.pk, amount=Decimal("20.00"), reason="Partial", actor=actor)

    actions = set(
        AuditEntry.objects.filter(actor=actor).values_list("action", flat=True)
    )
    assert {"gift.refunded", "receipt.cancelled", "receipt.replaced"} <= actions
    cancelled = AuditEntry.objects.get(action="receipt.cancelled")
    assert cancelled.object_id == str(receipt.pk)


def test_what_the_system_does_alone_is_not_audited(paid_gift):
    # A receipt issued by the worker (no actor) stays in the receipt's history.
    receipt_issue_for_gift(paid_gift().pk, notify=False)

    assert not AuditEntry.objects.filter(action__startswith="receipt.").exists()


def test_a_gift_edit_records_an_event_and_an_entry(finance_client, paid_gift):
    gift = paid_gift()
    form = {
        "received_on": "2026-03-02",
        "counterpart_value_0": "5.00",
        "counterpart_value_1": "EUR",
        "refunds-TOTAL_FORMS": "0",
        "refunds-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }

    finance_client.post(f"/admin/payments/gift/{gift.pk}/change/", form)

    event = gift.events.get(kind="edited")
    assert event.data == {"received_on": "2026-03-02", "counterpart_value": "5.00 EUR"}
    assert AuditEntry.objects.get(action="gift.edited").data == {"event": event.pk}


def test_exports_and_bundle_downloads_are_audited(finance_client, paid_gift):
    receipt = receipt_issue_for_gift(paid_gift().pk, notify=False)
    bundle = bundle_request(year=receipt.year, user=finance_client.user)
    bundle_build(bundle.pk)

    export = finance_client.get(reverse("finance:export_donations") + "?year=2026")
    b"".join(export.streaming_content)
    finance_client.get(reverse("finance:bundle_download", args=[bundle.token]))

    export_entry = AuditEntry.objects.get(action="export.donations_downloaded")
    assert export_entry.data == {"year": 2026}
    bundle_entry = AuditEntry.objects.get(action="bundle.downloaded")
    assert bundle_entry.object_id == str(bundle.pk)
    assert bundle_entry.actor == finance_client.user


def test_a_refused_export_leaves_no_entry(finance_client):
    finance_client.get(reverse("finance:export_donations") + "?year=abc")

    assert not AuditEntry.objects.filter(action__startswith="export.").exists()


def test_role_changes_in_the_admin_are_audited(client, role_user):
    admin = role_user("administrator")
    client.force_login(admin)
    clerk = User.objects.create_user("clerk", is_staff=True)
    finance = Group.objects.get(name=FINANCE.name)

    clerk.groups.add(finance)  # outside a request: no actor
    response = client.post(
        f"/admin/auth/user/{clerk.pk}/change/",
        {
            "username": "clerk",
            "is_active": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
            "groups": [],
        },
    )

    assert response.status_code == 302, response.content[:2000]
    added, removed = (
        AuditEntry.objects.get(action="role.member_added", data__user=clerk.pk),
        AuditEntry.objects.get(action="role.member_removed", data__user=clerk.pk),
    )
    assert added.actor is None
    assert added.data == {"user": clerk.pk}
    assert removed.actor == admin
    assert removed.object_id == str(finance.pk)
    flags = AuditEntry.objects.get(action="role.user_flags_changed")
    assert flags.actor == admin
    assert flags.data == {"is_staff": False, "is_superuser": True}


def test_a_permission_given_to_a_group_by_hand_is_audited(role_user):
    from django.contrib.auth.models import Permission

    group = Group.objects.get(name=FINANCE.name)
    group.permissions.add(Permission.objects.get(codename="add_user"))

    entry = AuditEntry.objects.get(action="role.permission_added")
    assert entry.data == {"permissions": ["auth.add_user"]}
