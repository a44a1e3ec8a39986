"""The ledger in the admin: committed bourses editable, closed years frozen."""

import pytest
from django.contrib.auth.models import User
from django.utils import translation
from freezegun import freeze_time

from ledger.models import Commitment, LedgerYear
from ledger.services import ledger_close_year

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    user = User.objects.create_superuser("staff", password="x")
    client.force_login(user)
    return user


def test_a_bourse_for_one_year_is_entered_in_the_campaigns_currency(
    client, superuser, athletes
):
    form = {"beneficiary": athletes[0].pk, "year": "2025"}

    with translation.override("en"):
        wrong = client.post(
            "/admin/ledger/commitment/add/",
            {**form, "amount_0": "500.00", "amount_1": "DKK"},
        )
        right = client.post(
            "/admin/ledger/commitment/add/",
            {**form, "amount_0": "500.00", "amount_1": "EUR"},
        )

    assert "in the campaign&#x27;s currency, EUR" in wrong.content.decode()
    assert right.status_code == 302
    assert Commitment.objects.get().amount.amount == 500


def test_a_closed_year_is_shown_but_cannot_be_changed_or_deleted(
    client, superuser, olympic, athletes, give
):
    give("100.00", to=athletes[0])
    with freeze_time("2026-02-01"):
        closed = ledger_close_year(campaign_id=olympic.pk, year=2025)

    page = client.get(f"/admin/ledger/ledgeryear/{closed.pk}/change/")
    delete = client.post(
        f"/admin/ledger/ledgeryear/{closed.pk}/delete/", {"post": "yes"}
    )

    assert page.status_code == 200
    assert "Léa Morel" in page.content.decode()
    assert delete.status_code == 403
    assert LedgerYear.objects.filter(pk=closed.pk).exists()
    assert client.get("/admin/ledger/ledgeryear/").status_code == 200
