"""Beneficiary cards on the public campaign page."""

import pytest
from django.urls import reverse
from freezegun import freeze_time

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_order")]


def campaign_page(client, campaign):
    with freeze_time("2025-09-01 12:00:00"):
        return client.get(
            reverse("campaigns:detail", args=[campaign.slug]),
            HTTP_ACCEPT_LANGUAGE="en",
        )


def test_cards_show_this_years_progress_in_steps_without_amounts(
    client, olympic, athletes, give
):
    # Given 1,237.89 € for Léa and 456.78 € of undesignated money in 2025
    give("1237.89", to=athletes[0])
    give("456.78")

    page = campaign_page(client, olympic).content.decode()

    # Then Léa is funded, Hugo shows 40 % (456.78 of 1,000), no gift amount
    assert "This year's bourse is funded." in page
    assert 'aria-valuenow="40"' in page
    assert "at least 40 % funded" in page
    for amount in ("1237", "1 237", "1,237", "456", "237.89"):
        assert amount not in page


def test_only_beneficiaries_who_consented_appear(client, olympic, athletes, give):
    give("5000.00")

    page = campaign_page(client, olympic).content.decode()

    assert "Léa Morel" in page
    assert "Hugo Garnier" in page
    assert "Inès Barbier" not in page
    assert page.count('data-testid="beneficiary-progress"') == 2


def test_a_bourse_barely_started_reads_as_under_ten_percent(
    client, olympic, athletes, give
):
    give("20.00", to=athletes[1])

    page = campaign_page(client, olympic).content.decode()

    assert page.count("under 10 % funded so far") == 2


def test_the_cards_progress_is_read_from_the_cache_once_computed(
    olympic, athletes, give, django_assert_num_queries
):
    from ledger.selectors import public_progress

    give("500.00", to=athletes[0])
    first = public_progress(olympic, 2025)

    with django_assert_num_queries(0):
        assert (
            public_progress(olympic, 2025)
            == first
            == {
                athletes[0].pk: 50,
                athletes[1].pk: 0,
                athletes[2].pk: 0,
            }
        )
