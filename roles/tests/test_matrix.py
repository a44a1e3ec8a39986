"""Each role does its own work and nothing of the others'.

Every staff URL and admin action is tried by one account per role. Allowed:
the page answers (200, or a redirect that is not to the login) and, for a
change, the change is made. Forbidden: 403, and nothing in the database
differs from before the attempt.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from campaigns.models import Campaign
from donorspace.models import ErasureRequest
from finance.bundles import bundle_build, bundle_request
from finance.models import ReceiptBundle
from payments.models import Gift, GiftEvent, Refund
from receipts.models import Receipt, ReceiptEvent
from receipts.services import receipt_issue_for_gift
from roles.models import AuditEntry
from roles.tests.conftest import ROLE_GROUPS

pytestmark = pytest.mark.django_db

CM, FIN, ADM = "campaign_manager", "finance", "administrator"


@dataclass
class World:
    campaign: Campaign
    gift: Gift  # paid, no receipt, no Stripe intent (refunded by bank)
    receipt: Receipt
    bundle: ReceiptBundle
    erasure: ErasureRequest


@pytest.fixture
def world(paid_gift, campaign, make_donor, settings):
    # The refund reason and edits below are not sent to Stripe: the gift has
    # no payment intent, so it is refunded "by bank".
    gift = paid_gift("80.00")
    receipt = receipt_issue_for_gift(paid_gift("30.00").pk, notify=False)
    builder = User.objects.create_user("builder")
    bundle = bundle_request(year=receipt.year, user=builder)
    bundle_build(bundle.pk)
    erasure = ErasureRequest.objects.create(donor=make_donor(email="x@example.org"))
    return World(
        campaign, gift, receipt, ReceiptBundle.objects.get(pk=bundle.pk), erasure
    )


def state() -> tuple:
    """Everything a staff action could change, compared before and after."""
    return (
        list(Gift.objects.order_by("pk").values_list(
            "status", "refunded_amount", "received_on", "counterpart_value"
        )),
        Refund.objects.count(),
        list(Receipt.objects.order_by("pk").values_list("status", "number")),
        GiftEvent.objects.count(),
        ReceiptEvent.objects.count(),
        list(Campaign.objects.order_by("pk").values_list("title_fr", "status")),
        ReceiptBundle.objects.count(),
        list(ErasureRequest.objects.values_list("handled_at", flat=True)),
        AuditEntry.objects.count(),
        list(Group.objects.order_by("pk").values_list("name", flat=True)),
        list(User.objects.order_by("pk").values_list("username", "is_staff")),
    )  # fmt: skip


@dataclass
class Case:
    name: str
    allowed: frozenset
    # Sends the request; returns the response.
    send: Callable
    # For a change: tells whether it was made (checked when allowed).
    made: Callable | None = None


def get(url_of):
    return lambda client, w: client.get(url_of(w))


def campaign_form(w, title):
    return {
        "slug": w.campaign.slug,
        "status": w.campaign.status,
        "goal_0": "21000.00",
        "goal_1": "EUR",
        "starts_on": "2026-01-01",
        "ends_on": "2099-06-30",
        "title_fr": title,
        "title_en": "Olympic passport",
        "suggested_amounts-TOTAL_FORMS": "0",
        "suggested_amounts-INITIAL_FORMS": "0",
        "beneficiaries-TOTAL_FORMS": "1",
        "beneficiaries-INITIAL_FORMS": "0",
        "beneficiaries-0-public_name": "Inès B.",
        "beneficiaries-0-summary_fr": "Athlétisme",
        "beneficiaries-0-yearly_bourse_0": "3000.00",
        "beneficiaries-0-yearly_bourse_1": "EUR",
        "beneficiaries-0-position": "0",
    }


def gift_form():
    return {
        "received_on": "2026-03-02",
        "counterpart_value_0": "5.00",
        "counterpart_value_1": "EUR",
        "refunds-TOTAL_FORMS": "0",
        "refunds-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }


def refund_form(client, w):
    import uuid

    return client.post(
        reverse("admin:payments_gift_refund", args=[w.gift.pk]),
        {"amount": "20.00", "reason": "Asked by the donor", "request_id": uuid.uuid4()},
    )


def admin_action(model_url, action, selected):
    return lambda client, w: client.post(
        model_url, {"action": action, "_selected_action": [selected(w)]}
    )


FINANCE_WORK = frozenset({FIN, ADM})
MANAGER_WORK = frozenset({CM, ADM})
ADMIN_WORK = frozenset({ADM})

CASES = [
    # /staff/ dashboard
    Case("dashboard index", MANAGER_WORK, get(lambda w: reverse("dashboard:index"))),
    Case("dashboard page", MANAGER_WORK,
         get(lambda w: reverse("dashboard:campaign", args=[w.campaign.slug]))),
    Case("dashboard data", MANAGER_WORK,
         get(lambda w: reverse("dashboard:data", args=[w.campaign.slug]))),
    # finance pages
    Case("donations export", FINANCE_WORK,
         get(lambda w: reverse("finance:export_donations") + "?year=2026")),
    Case("bundle list", FINANCE_WORK, get(lambda w: reverse("finance:bundle_list"))),
    Case("bundle request", FINANCE_WORK,
         lambda client, w: client.post(reverse("finance:bundle_list"), {"year": 2026}),
         made=lambda w: ReceiptBundle.objects.count() == 2),
    Case("bundle page", FINANCE_WORK, get(lambda w: w.bundle.get_absolute_url())),
    Case("bundle status", FINANCE_WORK,
         get(lambda w: reverse("finance:bundle_status", args=[w.bundle.token]))),
    Case("bundle download", FINANCE_WORK,
         get(lambda w: reverse("finance:bundle_download", args=[w.bundle.token]))),
    # gifts and refunds
    Case("gift list", FINANCE_WORK, get(lambda w: "/admin/payments/gift/")),
    Case("gift page", FINANCE_WORK,
         get(lambda w: f"/admin/payments/gift/{w.gift.pk}/change/")),
    Case("gift edit", FINANCE_WORK,
         lambda client, w: client.post(
             f"/admin/payments/gift/{w.gift.pk}/change/", gift_form()),
         made=lambda w: Gift.objects.get(pk=w.gift.pk).received_on is not None),
    Case("refund form", FINANCE_WORK,
         get(lambda w: reverse("admin:payments_gift_refund", args=[w.gift.pk]))),
    Case("refund", FINANCE_WORK, refund_form,
         made=lambda w: Refund.objects.filter(gift=w.gift).exists()),
    Case("issue missing receipts", FINANCE_WORK,
         admin_action("/admin/payments/gift/", "issue_missing_receipts",
                      lambda w: w.gift.pk),
         made=lambda w: w.gift.events.filter(kind="receipt_requested").exists()),
    Case("Stripe events", FINANCE_WORK, get(lambda w: "/admin/payments/stripeevent/")),
    # receipts
    Case("receipt list", FINANCE_WORK, get(lambda w: "/admin/receipts/receipt/")),
    Case("receipt download", FINANCE_WORK,
         get(lambda w: reverse("admin:receipts_receipt_download", args=[w.receipt.pk])),
         made=lambda w: w.receipt.events.filter(kind="downloaded").exists()),
    Case("receipt duplicate", FINANCE_WORK,
         get(lambda w: reverse("admin:receipts_receipt_duplicate", args=[w.receipt.pk])),
         made=lambda w: w.receipt.events.filter(kind="duplicated").exists()),
    Case("bundle admin", FINANCE_WORK, get(lambda w: "/admin/finance/receiptbundle/")),
    Case("donor page", FINANCE_WORK,
         get(lambda w: f"/admin/donors/donor/{w.gift.donor_id}/change/")),
    Case("exchange rates", FINANCE_WORK, get(lambda w: "/admin/fx/fxrate/")),
    Case("audit trail", FINANCE_WORK, get(lambda w: "/admin/roles/auditentry/")),
    # campaigns and beneficiaries
    Case("campaign edit", MANAGER_WORK,
         lambda client, w: client.post(
             f"/admin/campaigns/campaign/{w.campaign.pk}/change/",
             campaign_form(w, "Nouveau titre")),
         made=lambda w: Campaign.objects.get(pk=w.campaign.pk).title_fr
         == "Nouveau titre" and w.campaign.beneficiaries.exists()),
    Case("campaign add page", MANAGER_WORK,
         get(lambda w: "/admin/campaigns/campaign/add/")),
    # administration
    Case("users", ADMIN_WORK, get(lambda w: "/admin/auth/user/")),
    Case("group add", ADMIN_WORK,
         lambda client, w: client.post("/admin/auth/group/add/", {"name": "Interns"}),
         made=lambda w: Group.objects.filter(name="Interns").exists()),
    Case("erasure handled", ADMIN_WORK,
         admin_action("/admin/donorspace/erasurerequest/", "mark_handled",
                      lambda w: w.erasure.pk),
         made=lambda w: ErasureRequest.objects.get(pk=w.erasure.pk).handled_at),
]  # fmt: skip


@pytest.mark.parametrize("role", list(ROLE_GROUPS))
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_each_role_does_its_own_work_only(client, role_user, world, role, case):
    # Given a staff member holding one role
    client.force_login(role_user(role))
    before = state()

    # When they try the action
    response = case.send(client, world)

    # Then it is done if the role allows it, refused and without effect if not
    if role in case.allowed:
        assert response.status_code in (200, 302), response.content[:3000]
        if response.status_code == 302:
            assert "/login/" not in response["Location"]
        if case.made:
            assert case.made(world), response.content[:3000]
    else:
        assert response.status_code == 403
        assert state() == before


@pytest.mark.parametrize(
    ("permission", "url", "action", "selected", "unchanged"),
    [
        (
            "view_gift",
            "/admin/payments/gift/",
            "issue_missing_receipts",
            lambda w: w.gift.pk,
            lambda w: not w.gift.events.filter(kind="receipt_requested").exists(),
        ),
        (
            "view_erasurerequest",
            "/admin/donorspace/erasurerequest/",
            "mark_handled",
            lambda w: w.erasure.pk,
            lambda w: ErasureRequest.objects.get(pk=w.erasure.pk).handled_at is None,
        ),
    ],
)
def test_an_admin_action_needs_more_than_seeing_the_list(
    client, world, permission, url, action, selected, unchanged
):
    # Given staff who may only look at the list
    user = User.objects.create_user("viewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename=permission))
    client.force_login(user)

    # When they send the action anyway
    page = client.get(url)
    client.post(url, {"action": action, "_selected_action": [selected(world)]})

    # Then it is neither offered nor done
    assert page.status_code == 200
    assert f'value="{action}"'.encode() not in page.content
    assert unchanged(world)
