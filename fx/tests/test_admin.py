"""The rates in the admin: listed and filtered, never edited."""

from datetime import date

import pytest
from django.urls import reverse

from fx.models import FxRate

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:fx_fxrate_changelist")


def test_rates_are_filtered_by_currency_and_month(admin_client, store_rate):
    # given
    czk_december = store_rate("CZK", date(2026, 12, 3), "25.125")
    store_rate("CZK", date(2026, 11, 27), "25.087")
    store_rate("PLN", date(2026, 12, 3), "4.2710")

    # when
    response = admin_client.get(
        CHANGELIST, {"currency": "CZK", "day__year": "2026", "day__month": "12"}
    )

    # then
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [czk_december]


def test_rates_cannot_be_added_edited_or_deleted(admin_client, store_rate):
    # given
    rate = store_rate("CZK", date(2026, 12, 3), "25.125")
    change = reverse("admin:fx_fxrate_change", args=[rate.pk])

    # when
    add = admin_client.get(reverse("admin:fx_fxrate_add"))
    edit = admin_client.post(change, {"per_eur": "1", "currency": "CZK"})
    delete = admin_client.post(
        reverse("admin:fx_fxrate_delete", args=[rate.pk]), {"post": "yes"}
    )

    # then
    assert add.status_code == 403
    assert edit.status_code == 403
    assert delete.status_code == 403
    assert FxRate.objects.get().per_eur == rate.per_eur
