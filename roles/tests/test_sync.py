"""The role groups follow their rules, including apps installed later."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from roles.definitions import ADMINISTRATOR, CAMPAIGN_MANAGER, FINANCE
from roles.models import AuditEntry
from roles.services import roles_sync

pytestmark = pytest.mark.django_db


def held(role) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=role.name).permissions.select_related(
            "content_type"
        )
    }


def test_migrate_leaves_each_role_with_its_own_work():
    # Given the test database, built by migrate
    # Then each group holds its rules' permissions and no one else's
    manager, finance, admin = held(CAMPAIGN_MANAGER), held(FINANCE), held(ADMINISTRATOR)
    assert {"campaigns.change_campaign", "campaigns.add_beneficiary"} <= manager
    assert "dashboard.view_dailytotal" in manager
    assert not {p for p in manager if p.split(".")[0] in ("payments", "receipts")}
    assert {
        "payments.refund_gift",
        "receipts.view_receipt",
        "fx.view_fxrate",
    } <= finance
    assert {"donors.view_donor", "donors.change_donor"} <= finance
    assert "donors.delete_donor" not in finance
    assert "campaigns.view_campaign" in finance
    assert "campaigns.change_campaign" not in finance
    assert not {p for p in finance if p.startswith("auth.")}
    assert admin == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }


def test_a_second_sync_changes_nothing_and_says_so(capsys):
    entries = AuditEntry.objects.count()

    call_command("sync_roles")

    assert "Roles already up to date" in capsys.readouterr().out
    assert AuditEntry.objects.count() == entries


def test_a_permission_given_by_hand_is_taken_back_and_reported(capsys):
    # Given a refund permission given by hand to the campaign managers
    group = Group.objects.get(name=CAMPAIGN_MANAGER.name)
    group.permissions.add(Permission.objects.get(codename="refund_gift"))

    # When the roles are synchronised
    call_command("sync_roles")

    # Then it is taken back, reported, and the sync is in the audit trail
    assert "payments.refund_gift" not in held(CAMPAIGN_MANAGER)
    assert "Campaign manager: - payments.refund_gift" in capsys.readouterr().out
    entry = AuditEntry.objects.filter(action="roles.synced").latest("pk")
    assert entry.data["changes"]["Campaign manager"]["removed"] == [
        "payments.refund_gift"
    ]


def test_a_deleted_group_is_created_again():
    Group.objects.filter(name=FINANCE.name).delete()

    changes = roles_sync()

    assert [c.group for c in changes if c.created] == [FINANCE.name]
    assert "payments.refund_gift" in held(FINANCE)


def test_an_app_installed_later_joins_its_roles_at_its_migrate():
    # Given the ledger app's permissions, as its first migrate creates them
    ledger = ContentType.objects.create(app_label="ledger", model="allocation")
    for codename in ("view_allocation", "change_allocation", "close_year"):
        Permission.objects.create(content_type=ledger, codename=codename, name=codename)

    # When post_migrate synchronises that app
    roles_sync(app_labels=["ledger"])

    # Then managers plan the ledger, and finance reads it and closes the year
    assert {"ledger.view_allocation", "ledger.change_allocation"} <= held(
        CAMPAIGN_MANAGER
    )
    assert "ledger.close_year" not in held(CAMPAIGN_MANAGER)
    assert {"ledger.view_allocation", "ledger.close_year"} <= held(FINANCE)
    assert "ledger.change_allocation" not in held(FINANCE)
    assert "ledger.close_year" in held(ADMINISTRATOR)


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (CAMPAIGN_MANAGER, "wall.moderate_message", True),
        (FINANCE, "wall.moderate_message", False),
        (FINANCE, "offline.post_batch", True),
        (CAMPAIGN_MANAGER, "offline.post_batch", False),
        (FINANCE, "reconcile.run_reconciliation", True),
        (FINANCE, "reconcile.view_reconciliationrun", True),
        (CAMPAIGN_MANAGER, "reconcile.view_reconciliationrun", False),
        (FINANCE, "finance.add_exportjob", True),
        (ADMINISTRATOR, "auth.change_user", True),
        (FINANCE, "auth.change_user", False),
    ],
)
def test_rules_place_the_coming_apps_permissions(role, permission, allowed):
    app_label, codename = permission.split(".")

    assert role.allows(app_label, codename) is allowed
