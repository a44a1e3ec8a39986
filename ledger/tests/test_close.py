"""Closing a year: frozen figures, surplus rolled over, late changes."""

from decimal import Decimal

import pytest
from django.utils import translation
from djmoney.money import Money
from freezegun import freeze_time

from ledger.models import LedgerLine, LedgerYear
from ledger.selectors import LedgerError, year_ledger
from ledger.services import ledger_close_year
from payments.models import Gift

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("even")]


def eur(amount):
    return Money(Decimal(amount), "EUR")


def close(campaign, year):
    with freeze_time("2028-02-01 10:00:00"), translation.override("en"):
        return ledger_close_year(campaign_id=campaign.pk, year=year)


def refund_outside_the_ledger(gift, amount):
    """A refund recorded on the gift, as payments.refunds leaves it."""
    Gift.objects.filter(pk=gift.pk).update(refunded_amount=eur(amount))


@pytest.fixture
def year_2025(olympic, athletes, give):
    """Léa over-funded by 300 €, Hugo partly, and 3,100 € undesignated."""
    lea, hugo, _ines = athletes
    return {
        "lea": give("1300.00", to=lea),
        "hugo": give("200.00", to=hugo),
        "pool": give("3100.00"),
    }


def test_closing_stores_the_figures_and_carries_the_surplus_in(
    olympic, athletes, year_2025
):
    closed = close(olympic, 2025)

    # The frozen rows hold what the page showed
    assert closed.unallocated == eur("1300.00")
    assert [line.surplus for line in closed.lines.all()] == [
        eur("300.00"),
        eur("0"),
        eur("0"),
    ]
    assert set(LedgerLine.objects.values_list("state", flat=True)) == {
        "over_funded",
        "funded",
    }
    # And 2026 starts with Léa's surplus and the unallocated money
    ledger = year_ledger(olympic, 2026)
    assert ledger.rows[0].carried_in == eur("300.00")
    assert ledger.carried_in == eur("1300.00")
    assert [row.allocated for row in ledger.rows] == [
        eur("433.34"),
        eur("433.33"),
        eur("433.33"),
    ]
    assert ledger.funded + ledger.unallocated == ledger.money_in == eur("1600.00")


def test_a_closed_year_does_not_change_when_a_late_refund_comes(
    olympic, athletes, year_2025
):
    # Given 2025 closed
    close(olympic, 2025)
    before = year_ledger(olympic, 2025)

    # When 500 € of Léa's 2025 gift is refunded in 2026
    refund_outside_the_ledger(year_2025["lea"], "500.00")

    # Then 2025 shows the same figures, and says what changed since
    after = year_ledger(olympic, 2025)
    assert [row.funded for row in after.rows] == [row.funded for row in before.rows]
    assert after.unallocated == before.unallocated
    assert after.late_changes == eur("-500.00")
    # And 2026 takes the change as Léa's late adjustment
    lea_2026 = year_ledger(olympic, 2026).rows[0]
    assert lea_2026.adjustment == eur("-500.00")
    assert lea_2026.own == eur("-200.00")


def test_a_late_change_is_absorbed_once_by_the_next_closed_year(
    olympic, athletes, year_2025
):
    # Given a late undesignated refund on 2025, absorbed when 2026 closes
    close(olympic, 2025)
    refund_outside_the_ledger(year_2025["pool"], "100.00")
    assert close(olympic, 2026).adjustment == eur("-100.00")

    # When a second late refund hits 2025
    refund_outside_the_ledger(year_2025["pool"], "150.00")

    # Then 2027 carries only the new 50 €, not the 100 € again
    ledger_2027 = year_ledger(olympic, 2027)
    assert ledger_2027.adjustment == eur("-50.00")


def test_a_year_closes_once(olympic, athletes, year_2025):
    close(olympic, 2025)

    with pytest.raises(LedgerError, match="already closed"):
        close(olympic, 2025)
    assert LedgerYear.objects.count() == 1


def test_years_close_in_order(olympic, athletes, year_2025):
    with pytest.raises(LedgerError, match="Close 2025 first"):
        close(olympic, 2026)
    assert not LedgerYear.objects.exists()


def test_a_year_that_has_not_ended_cannot_be_closed(olympic, athletes):
    with (
        freeze_time("2025-12-31 12:00:00"),
        translation.override("en"),
        pytest.raises(LedgerError, match="not ended"),
    ):
        ledger_close_year(campaign_id=olympic.pk, year=2025)


def test_a_year_before_the_campaign_cannot_be_closed(olympic, athletes):
    with pytest.raises(LedgerError, match="not a year of this campaign"):
        close(olympic, 2024)
