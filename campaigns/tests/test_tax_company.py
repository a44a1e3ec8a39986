"""The company tax preview: 60 %, 40 % above 2 M€, within the yearly ceiling."""

from decimal import Decimal

import pytest

from campaigns.tax import company_ceiling, company_reduction, cost_after_relief


@pytest.mark.parametrize(
    ("amount", "turnover", "reduction"),
    [
        ("10000", None, "6000.00"),
        # Only 20,000 € count this year without a larger turnover share.
        ("30000", None, "12000.00"),
        # 0.5 % of 10 M€ is 50,000 €: the whole gift counts.
        ("30000", "10000000", "18000.00"),
        # Above 2 M€ the rate is 40 %; 0.5 % of 1 G€ is 5 M€.
        ("3000000", "1000000000", "1600000.00"),
        ("0.01", None, "0.01"),
    ],
)
def test_company_reduction(amount, turnover, reduction):
    turnover = Decimal(turnover) if turnover else None
    assert company_reduction(Decimal(amount), turnover) == Decimal(reduction)


def test_the_ceiling_is_the_larger_of_the_sum_and_the_turnover_share():
    assert company_ceiling() == Decimal("20000")
    assert company_ceiling(Decimal("1000000")) == Decimal("20000")
    assert company_ceiling(Decimal("8000000")) == Decimal("40000.00")


def test_the_thanks_page_cost_of_a_large_company_gift_applies_the_ceiling():
    assert cost_after_relief(Decimal("30000"), "company") == Decimal("18000.00")
    assert cost_after_relief(Decimal("100"), "individual") == Decimal("34.00")


def test_the_rules_are_settings(settings):
    settings.TAX_COMPANY_CEILING_EUR = Decimal("50000")
    assert company_reduction(Decimal("30000")) == Decimal("18000.00")
