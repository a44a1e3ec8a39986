"""DailyTotal follows the gifts: paid, partly and fully refunded, rebuilt."""

import datetime
import logging
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Sum
from djmoney.money import Money

import campaigns.services
from dashboard.models import DailyTotal
from dashboard.services import (
    daily_total_record_paid_gift,
    daily_total_record_refund,
    daily_totals_rebuild,
)
from payments.models import Gift

UTC = datetime.UTC
# campaigns.services imports the dashboard's services once they are wired in.
WIRED = hasattr(campaigns.services, "daily_total_record_paid_gift")


def pay(gift, paid_at):
    """Mark a gift paid and count it, as the payment transaction does."""
    with transaction.atomic():
        gift.status, gift.paid_at = Gift.Status.PAID, paid_at
        gift.save(update_fields=["status", "paid_at"])
        daily_total_record_paid_gift(gift=gift)
    return gift


def refund(gift, amount):
    """Refund part or all of a gift, as payments.refunds does."""
    with transaction.atomic():
        money = Money(Decimal(amount), gift.amount.currency)
        gift.refunded_amount += money
        fully = gift.net_amount.amount == 0
        if fully:
            gift.status = Gift.Status.REFUNDED
        gift.save(update_fields=["refunded_amount", "status"])
        daily_total_record_refund(gift=gift, amount=money, fully=fully)


def rows(campaign):
    return {
        (r.day, r.method): (r.gifts, r.amount, r.refunded)
        for r in DailyTotal.objects.filter(campaign=campaign)
    }


NOON = datetime.datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
MARCH_10 = datetime.date(2026, 3, 10)


def test_paid_gifts_are_counted_by_day_and_method(campaign, make_gift):
    # Given two card gifts and a cheque on the same day
    pay(make_gift("50.00"), NOON)
    pay(make_gift("20.00"), NOON)
    pay(make_gift("100.00", method=Gift.Method.CHEQUE), NOON)

    # Then each method has its own row for the day
    assert rows(campaign) == {
        (MARCH_10, "card"): (2, Decimal("70.00"), Decimal("0.00")),
        (MARCH_10, "cheque"): (1, Decimal("100.00"), Decimal("0.00")),
    }


def test_a_gift_paid_after_midnight_in_paris_counts_on_the_new_day(campaign, make_gift):
    # Given a gift paid at 23:30 UTC on 31 December, 00:30 in Paris
    pay(make_gift("50.00"), datetime.datetime(2025, 12, 31, 23, 30, tzinfo=UTC))

    # Then it belongs to 1 January
    assert list(rows(campaign)) == [(datetime.date(2026, 1, 1), "card")]


def test_a_partial_refund_keeps_the_gift_and_counts_the_money(campaign, make_gift):
    # Given a paid gift of 50
    gift = pay(make_gift("50.00"), NOON)

    # When 20 of it is refunded
    refund(gift, "20.00")

    # Then the gift still counts, with 20 refunded
    assert rows(campaign) == {(MARCH_10, "card"): (1, Decimal("50"), Decimal("20"))}


def test_a_full_refund_takes_the_gift_out_of_the_count(campaign, make_gift):
    # Given two paid gifts, one partly refunded
    gift = pay(make_gift("50.00"), NOON)
    pay(make_gift("30.00"), NOON)
    refund(gift, "20.00")

    # When the rest of the first is refunded
    refund(gift, "30.00")

    # Then one gift counts, and the day keeps 30 net
    assert rows(campaign) == {(MARCH_10, "card"): (2 - 1, Decimal("80"), Decimal("50"))}


def test_the_days_add_up_to_the_gifts(campaign, make_gift):
    # Given gifts over three days, one refunded in part and one in full
    for n, amount in enumerate(["10.00", "25.50", "40.00", "5.00"]):
        pay(make_gift(amount), NOON + datetime.timedelta(days=n % 3))
    partly, fully = Gift.objects.order_by("pk")[:2]
    refund(partly, "4.00")
    refund(fully, "25.50")

    # Then the days hold the gifts still counted and what was kept
    totals = DailyTotal.objects.filter(campaign=campaign).aggregate(
        gifts=Sum("gifts"), amount=Sum("amount"), refunded=Sum("refunded")
    )
    assert totals["gifts"] == Gift.objects.filter(status=Gift.Status.PAID).count()
    assert totals["amount"] - totals["refunded"] == Decimal("80.50") - Decimal("29.50")


def test_rebuild_gives_the_figures_counted_as_gifts_moved(campaign, make_gift):
    # Given gifts paid and refunded over several days and methods
    for n in range(12):
        method = [Gift.Method.CARD, Gift.Method.SEPA, Gift.Method.TRANSFER][n % 3]
        pay(make_gift(f"{10 + n}.00", method=method), NOON + datetime.timedelta(n % 4))
    first, second = Gift.objects.order_by("pk")[:2]
    refund(first, "3.00")
    refund(second, second.amount.amount)
    incremental = rows(campaign)

    # When the table is rebuilt from the gifts
    daily_totals_rebuild(campaign.pk)

    # Then it holds the same figures
    assert rows(campaign) == incremental


def test_rebuilding_again_changes_nothing(campaign, make_gift):
    # Given a rebuilt table
    pay(make_gift("50.00"), NOON)
    call_command("rebuild_daily_totals")
    before = rows(campaign)

    # When the command runs again
    call_command("rebuild_daily_totals", campaign=campaign.slug)

    # Then the rows are the same
    assert rows(campaign) == before
    assert DailyTotal.objects.count() == 1


def test_rebuild_leaves_out_unpaid_gifts(campaign, make_gift):
    # Given a pending and a failed gift
    make_gift("50.00")
    make_gift("60.00", status=Gift.Status.FAILED)

    # When the table is rebuilt
    daily_totals_rebuild(campaign.pk)

    # Then nothing is counted
    assert not DailyTotal.objects.exists()


def test_the_command_refuses_an_unknown_campaign(campaign):
    with pytest.raises(CommandError, match="no campaign"):
        call_command("rebuild_daily_totals", campaign="nope")


def test_a_refund_before_the_first_rebuild_warns_and_never_fails(
    campaign, make_gift, caplog
):
    # Given a gift paid before the table existed (no row for its day)
    gift = make_gift("50.00", status=Gift.Status.PAID, paid_at=NOON)

    # When it is refunded
    with caplog.at_level(logging.WARNING, logger="dashboard.services"):
        refund(gift, "50.00")

    # Then the refund stands, and the log asks for a rebuild
    gift.refresh_from_db()
    assert gift.status == Gift.Status.REFUNDED
    assert "run rebuild_daily_totals" in caplog.text
    assert not DailyTotal.objects.exists()


@pytest.mark.skipif(not WIRED, reason="campaigns.services does not call it yet")
def test_the_payment_and_refund_services_move_the_daily_totals(campaign, paid_gift):
    from payments.refunds import gift_refund

    # Given two gifts paid through the payment service
    gift = paid_gift("50.00")
    paid_gift("30.00")

    # When one is refunded in full through the refund service
    gift_refund(gift.pk, amount=None, reason="asked by the donor")

    # Then the daily totals agree with the campaign's stored totals
    campaign.refresh_from_db()
    totals = DailyTotal.objects.aggregate(
        gifts=Sum("gifts"), amount=Sum("amount"), refunded=Sum("refunded")
    )
    assert totals["gifts"] == campaign.gift_count == 1
    assert totals["amount"] - totals["refunded"] == campaign.raised.amount


def test_monthly_payments_and_sources_have_their_own_rows_and_rebuild_alike(
    campaign, make_gift, make_donor
):
    from payments.models import RecurringGift

    donor = make_donor(email="monthly@example.org")
    plan = RecurringGift.objects.create(
        donor=donor, campaign=campaign, amount=Money("20.00", "EUR"), method="card"
    )
    pay(make_gift("20.00", donor=donor, recurring=plan, period="2026-03"), NOON)
    pay(make_gift("50.00", utm_source="newsletter"), NOON)
    pay(make_gift("30.00", utm_source="newsletter"), NOON)
    pay(make_gift("10.00"), NOON)
    refund(Gift.objects.get(amount=Money("30.00", "EUR")), "5.00")
    live = {
        (r.monthly, r.source): (r.gifts, r.amount, r.refunded)
        for r in DailyTotal.objects.filter(campaign=campaign)
    }
    assert live == {
        (True, ""): (1, Decimal("20.00"), Decimal("0.00")),
        (False, "newsletter"): (2, Decimal("80.00"), Decimal("5.00")),
        (False, ""): (1, Decimal("10.00"), Decimal("0.00")),
    }

    daily_totals_rebuild(campaign.pk)
    rebuilt = {
        (r.monthly, r.source): (r.gifts, r.amount, r.refunded)
        for r in DailyTotal.objects.filter(campaign=campaign)
    }
    assert rebuilt == live
