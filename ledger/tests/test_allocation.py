"""Sharing undesignated money among beneficiaries, in cents."""

import pytest

from ledger.allocation import allocate


def test_an_even_split_gives_the_odd_cents_in_position_order():
    assert allocate(10001, [100000, 100000, 100000], "even") == [3334, 3334, 3333]


def test_an_even_split_never_gives_more_than_a_need_and_shares_the_rest():
    # The first needs only 10 €: the other two share what it leaves.
    shares = allocate(10001, [1000, 500000, 500000], "even")

    assert shares == [1000, 4501, 4500]
    assert sum(shares) == 10001


def test_an_even_split_skips_those_already_funded():
    assert allocate(301, [0, 10000, 10000], "even") == [0, 151, 150]


def test_filling_in_order_completes_each_need_before_the_next():
    assert allocate(150001, [100000, 100000, 100000], "in_order") == [100000, 50001, 0]


@pytest.mark.parametrize("rule", ["even", "in_order"])
def test_a_pool_larger_than_all_needs_fills_them_and_leaves_the_rest(rule):
    shares = allocate(1_000_000, [100000, 250, 0], rule)

    assert shares == [100000, 250, 0]


@pytest.mark.parametrize("rule", ["even", "in_order"])
def test_an_empty_or_negative_pool_allocates_nothing(rule):
    assert allocate(0, [100, 100], rule) == [0, 0]
    assert allocate(-500, [100, 100], rule) == [0, 0]


def test_a_cent_pool_smaller_than_the_number_of_needs_goes_in_order():
    assert allocate(2, [5, 5, 5], "even") == [1, 1, 0]


def test_an_unknown_rule_or_a_negative_need_is_refused():
    with pytest.raises(ValueError, match="unknown allocation rule"):
        allocate(100, [100], "random")
    with pytest.raises(ValueError, match="negative"):
        allocate(100, [-1], "even")
