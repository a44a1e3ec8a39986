"""Reconciliation against the offline Stripe: what matches, what does not."""

from decimal import Decimal

import pytest

from devtools.stripe_server import pay_out
from payments.refunds import gift_refund, gift_sync_refunds_from_stripe
from reconcile.models import (
    GiftSettlement,
    Mismatch,
    Payout,
    ReconciliationRun,
    RefundSettlement,
)
from reconcile.tests.conftest import euros

pytestmark = pytest.mark.django_db


def test_paid_gift_is_matched_with_stripe_fee_and_net(
    stripe_paid_gift, reconcile_today
):
    # Given a 100.00 EUR gift paid by card
    gift = stripe_paid_gift("100.00")

    # When today is reconciled
    run = reconcile_today()

    # Then its settlement holds Stripe's fee (1.5 % + 0.25) and the net
    settlement = GiftSettlement.objects.get(gift=gift)
    assert settlement.amount == euros("100.00")
    assert settlement.fee == euros("1.75")
    assert settlement.net == euros("98.25")
    assert settlement.stripe_charge_id == gift.stripe_charge_id
    assert settlement.payout is None
    assert (run.status, run.transaction_count, run.matched_count) == (
        ReconciliationRun.Status.SUCCEEDED,
        1,
        1,
    )
    assert run.mismatch_count == 0
    assert not Mismatch.objects.exists()


def test_payout_is_linked_to_the_gifts_and_refunds_it_paid_out(
    stripe_paid_gift, reconcile_today, stripe_api
):
    # Given two paid gifts, one refunded 20.00, then paid out by Stripe
    first = stripe_paid_gift("100.00")
    second = stripe_paid_gift("40.00")
    refund = gift_refund(second.pk, amount=Decimal("20.00"), reason="asked by donor")
    stripe_payout = pay_out(stripe_api)

    # When today is reconciled
    run = reconcile_today()

    # Then the payout is stored, with every settlement it paid out
    payout = Payout.objects.get(stripe_payout_id=stripe_payout["id"])
    # 98.25 + (40.00 - 0.85) - 20.00
    assert payout.amount == euros("117.40")
    assert payout.transactions_net == euros("117.40")
    assert {s.gift_id for s in payout.giftsettlements.all()} == {first.pk, second.pk}
    assert RefundSettlement.objects.get(refund=refund).payout == payout
    # Read: two charges, a refund and the payout's own transaction
    assert (run.transaction_count, run.matched_count, run.payout_count) == (4, 3, 1)
    assert not Mismatch.objects.exists()


def test_stripe_charge_without_a_gift_is_flagged(stripe_charge, reconcile_today):
    # Given a 30.00 charge made in Stripe that no gift knows
    stripe_charge(3000)

    # When today is reconciled
    run = reconcile_today()

    # Then it is listed as a charge without a gift, with its amount
    mismatch = Mismatch.objects.get()
    assert mismatch.kind == Mismatch.Kind.CHARGE_WITHOUT_GIFT
    assert mismatch.key.startswith("txn_")
    assert mismatch.actual == euros("30.00")
    assert mismatch.gift is None
    assert mismatch.first_run == run
    assert not GiftSettlement.objects.exists()


def test_paid_gift_without_a_charge_is_flagged(paid_gift, reconcile_today):
    # Given a gift marked paid for a PaymentIntent Stripe never charged
    gift = paid_gift("50.00", pi="pi_never_charged")

    # When today is reconciled
    reconcile_today()

    # Then it is listed as a paid gift without a charge
    mismatch = Mismatch.objects.get()
    assert (mismatch.kind, mismatch.key) == (
        Mismatch.Kind.GIFT_WITHOUT_CHARGE,
        f"gift:{gift.pk}",
    )
    assert mismatch.gift == gift
    assert mismatch.expected == euros("50.00")


def test_gift_flagged_without_charge_is_settled_when_its_charge_appears(
    paid_gift, stripe_charge, reconcile_today
):
    # Given a paid gift flagged without a charge by a first run
    intent = stripe_charge(5000)
    gift = paid_gift("50.00", pi="pi_not_yet_seen")
    reconcile_today()
    assert Mismatch.objects.filter(gift=gift, resolved=False).exists()

    # When the gift's charge turns out to be the one Stripe made
    type(gift).objects.filter(pk=gift.pk).update(stripe_payment_intent_id=intent.id)
    Mismatch.objects.filter(kind=Mismatch.Kind.CHARGE_WITHOUT_GIFT).delete()
    reconcile_today()

    # Then the gift is settled and its mismatch marked resolved, with a note
    assert GiftSettlement.objects.filter(gift=gift).exists()
    mismatch = Mismatch.objects.get(kind=Mismatch.Kind.GIFT_WITHOUT_CHARGE)
    assert mismatch.resolved
    assert "charge found" in mismatch.resolved_note


def test_amount_mismatch_is_flagged(paid_gift, stripe_charge, reconcile_today):
    # Given Stripe charged 100.00 for an intent our gift records as 80.00
    intent = stripe_charge(10000)
    gift = paid_gift("80.00", pi=intent.id)

    # When today is reconciled
    reconcile_today()

    # Then the difference is listed, and Stripe's fee and net are still stored
    mismatch = Mismatch.objects.get()
    assert mismatch.kind == Mismatch.Kind.AMOUNT_MISMATCH
    assert (mismatch.gift, mismatch.expected, mismatch.actual) == (
        gift,
        euros("80.00"),
        euros("100.00"),
    )
    assert GiftSettlement.objects.get(gift=gift).net == euros("98.25")


def test_refund_is_matched_to_our_refund(stripe_paid_gift, reconcile_today):
    # Given a gift of 60.00 refunded 15.00 from Mécène
    gift = stripe_paid_gift("60.00")
    refund = gift_refund(gift.pk, amount=Decimal("15.00"), reason="typo in amount")

    # When today is reconciled
    run = reconcile_today()

    # Then the refund's settlement takes 15.00 out of the balance, with no fee
    settlement = RefundSettlement.objects.get(refund=refund)
    assert (settlement.amount, settlement.fee, settlement.net) == (
        euros("-15.00"),
        euros("0.00"),
        euros("-15.00"),
    )
    assert run.matched_count == 2
    assert not Mismatch.objects.exists()


def test_refund_made_in_stripe_dashboard_and_recorded_is_matched(
    stripe_paid_gift, reconcile_today
):
    # Given a refund made in Stripe's dashboard, recorded from the charge
    # (so without its Stripe refund id)
    from conftest import stripe_client

    gift = stripe_paid_gift("60.00")
    stripe_client().v1.refunds.create(
        params={"payment_intent": gift.stripe_payment_intent_id, "amount": 1000}
    )
    recorded = gift_sync_refunds_from_stripe(gift.pk)

    # When today is reconciled
    reconcile_today()

    # Then the Stripe refund is matched to that record
    assert RefundSettlement.objects.get().refund == recorded
    assert not Mismatch.objects.exists()


def test_stripe_refund_without_a_record_is_flagged(stripe_paid_gift, reconcile_today):
    # Given a refund made in Stripe that Mécène never recorded
    from conftest import stripe_client

    gift = stripe_paid_gift("60.00")
    stripe_client().v1.refunds.create(
        params={"payment_intent": gift.stripe_payment_intent_id, "amount": 1000}
    )

    # When today is reconciled
    reconcile_today()

    # Then it is listed, on the gift, and the gift's own charge still matches
    mismatch = Mismatch.objects.get()
    assert mismatch.kind == Mismatch.Kind.REFUND_WITHOUT_RECORD
    assert (mismatch.gift, mismatch.actual) == (gift, euros("10.00"))
    assert GiftSettlement.objects.filter(gift=gift).exists()


def test_rerun_over_the_same_days_stores_nothing_twice(
    stripe_paid_gift, stripe_charge, paid_gift, reconcile_today, stripe_api
):
    # Given matched gifts, a refund, a payout and two kinds of mismatch,
    # reconciled once
    gift = stripe_paid_gift("100.00")
    gift_refund(gift.pk, amount=Decimal("10.00"), reason="asked by donor")
    stripe_charge(3000)
    paid_gift("50.00", pi="pi_never_charged")
    pay_out(stripe_api)
    first = reconcile_today()

    def stored():
        return [
            list(model.objects.order_by("pk").values_list("pk", flat=True))
            for model in (GiftSettlement, RefundSettlement, Payout, Mismatch)
        ]

    before = stored()

    # When the same day is reconciled again
    second = reconcile_today()

    # Then no row is added, and the second run saw the same
    assert stored() == before
    assert [len(ids) for ids in before] == [1, 1, 1, 2]
    counts = ("transaction_count", "matched_count", "payout_count", "mismatch_count")
    assert [getattr(second, c) for c in counts] == [getattr(first, c) for c in counts]
