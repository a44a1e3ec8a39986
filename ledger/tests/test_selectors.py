"""An open year's figures, computed from the gifts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from djmoney.money import Money

from campaigns.services import campaign_record_paid_gift
from ledger.models import Commitment
from ledger.selectors import LedgerError, year_ledger
from payments.models import Gift
from payments.refunds import gift_refund

pytestmark = pytest.mark.django_db


def eur(amount):
    return Money(Decimal(amount), "EUR")


def test_undesignated_gifts_are_split_evenly_to_the_cent(olympic, athletes, give, even):
    # Given 100.01 € of undesignated gifts and nothing designated
    give("60.00")
    give("40.01")

    ledger = year_ledger(olympic, 2025)

    # Then the odd cent goes to the first in position order
    assert [row.allocated for row in ledger.rows] == [
        eur("33.34"),
        eur("33.34"),
        eur("33.33"),
    ]
    assert ledger.unallocated == eur("0.00")
    assert ledger.funded + ledger.unallocated == ledger.money_in == eur("100.01")


def test_filling_in_order_completes_the_first_bourse_first(
    olympic, athletes, give, in_order
):
    give("1500.01")

    ledger = year_ledger(olympic, 2025)

    assert [row.allocated for row in ledger.rows] == [
        eur("1000.00"),
        eur("500.01"),
        eur("0.00"),
    ]
    assert [row.state for row in ledger.rows] == [
        "funded",
        "partly_funded",
        "partly_funded",
    ]


def test_designated_gifts_count_first_and_only_the_need_is_allocated(
    olympic, athletes, give, even
):
    # Given Léa over-funded by her own gifts, Hugo half funded, 900 € to share
    lea, hugo, ines = athletes
    give("1200.00", to=lea)
    give("500.00", to=hugo)
    give("900.00")

    ledger = year_ledger(olympic, 2025)
    rows = {row.public_name: row for row in ledger.rows}

    # Then Léa gets nothing more and keeps a 200 € surplus; the others share
    assert rows["Léa Morel"].allocated == eur("0")
    assert rows["Léa Morel"].surplus == eur("200.00")
    assert rows["Léa Morel"].state == "over_funded"
    assert rows["Hugo Garnier"].allocated == eur("450.00")
    assert rows["Inès Barbier"].allocated == eur("450.00")
    assert ledger.unallocated == eur("0")
    assert ledger.funded + ledger.unallocated == ledger.money_in == eur("2600.00")


def test_undesignated_money_beyond_every_need_stays_unallocated(
    olympic, athletes, give, even
):
    give("3100.50")

    ledger = year_ledger(olympic, 2025)

    assert all(row.state == "funded" for row in ledger.rows)
    assert ledger.allocated == eur("3000.00")
    assert ledger.unallocated == eur("100.50")


def test_a_committed_bourse_for_one_year_replaces_the_yearly_one(
    olympic, athletes, give, even
):
    # Given Inès on a half bourse in 2025
    Commitment.objects.create(beneficiary=athletes[2], year=2025, amount=eur("500"))
    give("2400.00")

    ledger = year_ledger(olympic, 2025)

    assert ledger.committed == eur("2500.00")
    assert [row.allocated for row in ledger.rows] == [
        eur("950.00"),
        eur("950.00"),
        eur("500.00"),
    ]
    # And 2026 is back to the yearly bourse
    assert year_ledger(olympic, 2026).committed == eur("3000.00")


def test_refunds_reduce_what_a_beneficiary_is_funded_by(olympic, athletes, give, even):
    # Given two paid gifts, counted in the campaign's totals as on payment
    gift = give("1000.00", to=athletes[0])
    other = give("300.00", to=athletes[1])
    campaign_record_paid_gift(gift=gift)
    campaign_record_paid_gift(gift=other)

    # When one is partly refunded and the other wholly

    gift_refund(gift.pk, amount=Decimal("250.00"), reason="Donor's mistake")
    gift_refund(other.pk, amount=None, reason="Duplicate")

    # Then the ledger follows the money kept
    rows = year_ledger(olympic, 2025).rows
    assert rows[0].designated == eur("750.00")
    assert rows[0].state == "partly_funded"
    assert rows[1].designated == eur("0.00")


def test_the_year_is_the_gifts_tax_date_in_paris(olympic, athletes, give, even):
    # Paid at 00:30 on 1 January 2026 in Paris (still 2025 in UTC)
    late = give("10.00", to=athletes[0])
    Gift.objects.filter(pk=late.pk).update(
        paid_at=datetime.datetime(2025, 12, 31, 23, 30, tzinfo=datetime.UTC)
    )
    # Paid in 2025 but received by the foundation in 2026
    give("20.00", to=athletes[1], on="2025-12-20", received_on="2026-01-05")
    # Not paid: never counted
    give("40.00", to=athletes[2], status=Gift.Status.FAILED, on="2026-02-01")

    ledger_2025 = year_ledger(olympic, 2025)
    ledger_2026 = year_ledger(olympic, 2026)

    assert ledger_2025.money_in == eur("0")
    assert [row.designated for row in ledger_2026.rows] == [
        eur("10.00"),
        eur("20.00"),
        eur("0"),
    ]


def test_a_gift_in_another_currency_counts_for_its_receipt_euros(
    olympic, athletes, give, even
):
    # Given 2,500 CZK recorded as 100 € of which a fifth was refunded
    give(
        "2500.00",
        to=athletes[0],
        currency="CZK",
        amount_eur=eur("100.00"),
        refunded_amount=Money(Decimal("500.00"), "CZK"),
    )

    row = year_ledger(olympic, 2025).rows[0]

    assert row.designated == eur("80.00")


def test_a_bourse_in_another_currency_is_reported_not_mixed(olympic, athletes):
    athletes[1].yearly_bourse = Money(Decimal("3000"), "DKK")
    athletes[1].save()

    with pytest.raises(LedgerError, match="DKK"):
        year_ledger(olympic, 2025)


def test_the_ledger_reads_the_same_number_of_queries_whatever_the_gifts(
    olympic, athletes, give, even
):
    def queries_for_2025():
        with CaptureQueriesContext(connection) as queries:
            year_ledger(olympic, 2025)
        return len(queries)

    # Given a few gifts, then many more
    for beneficiary in [*athletes, None]:
        give("10.00", to=beneficiary)
    few = queries_for_2025()
    for day in range(1, 29):
        for beneficiary in [*athletes, None]:
            give("10.00", to=beneficiary, on=f"2025-02-{day:02d}")

    # Then the count of queries does not move
    assert queries_for_2025() == few
