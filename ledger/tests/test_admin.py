"""The ledger in the admin: committed bourses editable, closed years frozen."""

import pytest
from freezegun import freeze_time

from ledger.models import Commitment, LedgerYear
from ledger.services import ledger_close_year

pytestmark = pytest.mark.django_db


def test_a_bourse_for_one_year_is_entered_in_the_campaigns_currency(
    admin_client, athletes
):
    form = {"beneficiary": athletes[0].pk, "year": "2025"}

    wrong = admin_client.post(
        "/admin/ledger/commitment/add/",
        {**form, "amount_0": "500.00", "amount_1": "DKK"},
    )
    right = admin_client.post(
        "/admin/ledger/commitment/add/",
        {**form, "amount_0": "500.00", "amount_1": "EUR"},
    )

    assert "dans la devise de la campagne, EUR" in wrong.content.decode()
    assert right.status_code == 302
    assert Commitment.objects.get().amount.amount == 500


def test_a_closed_year_is_shown_but_cannot_be_changed_or_deleted(
    admin_client, olympic, athletes, give
):
    give("100.00", to=athletes[0])
    with freeze_time("2026-02-01"):
        closed = ledger_close_year(campaign_id=olympic.pk, year=2025)

    page = admin_client.get(f"/admin/ledger/ledgeryear/{closed.pk}/change/")
    delete = admin_client.post(
        f"/admin/ledger/ledgeryear/{closed.pk}/delete/", {"post": "yes"}
    )

    assert page.status_code == 200
    assert "Léa Morel" in page.content.decode()
    assert delete.status_code == 403
    assert LedgerYear.objects.filter(pk=closed.pk).exists()
    assert admin_client.get("/admin/ledger/ledgeryear/").status_code == 200
