"""A gift in another currency than the Stripe balance's.

The offline Stripe settles every charge in the charge's own currency, so the
balance transaction of a converted charge is built here from Stripe's
documented shape (an ``exchange_rate`` and an expanded charge) and fed to the
run in place of the gateway's listing.
"""

import pytest
import stripe
from django.utils import timezone
from djmoney.money import Money

from payments import gateway
from reconcile.models import GiftSettlement, Mismatch
from reconcile.tests.conftest import euros

pytestmark = pytest.mark.django_db


def converted_charge(payment_intent_id):
    """110.00 USD charged, settled as 100.00 EUR less a 1.75 EUR fee."""
    now = int(timezone.now().timestamp())
    return stripe.BalanceTransaction.construct_from(
        {
            "id": "txn_usd",
            "object": "balance_transaction",
            "type": "charge",
            "amount": 10000,
            "fee": 175,
            "net": 9825,
            "currency": "eur",
            "exchange_rate": 0.909091,
            "created": now,
            "available_on": now,
            "source": {
                "id": "ch_usd",
                "object": "charge",
                "amount": 11000,
                "currency": "usd",
                "payment_intent": payment_intent_id,
            },
        },
        "sk_test_local",
    )


def test_converted_charge_is_compared_in_the_donors_currency(
    paid_gift, reconcile_today, monkeypatch
):
    # Given a 110.00 USD gift, settled by Stripe as 100.00 EUR
    gift = paid_gift("110.00", pi="pi_usd")
    gift.amount = Money("110.00", "USD")
    gift.save()
    line = gateway._balance_line(converted_charge("pi_usd"))
    monkeypatch.setattr(gateway, "balance_transactions_list", lambda **_: [line])
    monkeypatch.setattr(gateway, "payouts_list", lambda **_: [])

    # When today is reconciled
    reconcile_today()

    # Then the gift matches, and its settlement is in the balance's euros
    assert line.source_amount == Money("110.00", "USD")
    settlement = GiftSettlement.objects.get(gift=gift)
    assert (settlement.amount, settlement.fee, settlement.net) == (
        euros("100.00"),
        euros("1.75"),
        euros("98.25"),
    )
    assert not Mismatch.objects.exists()
