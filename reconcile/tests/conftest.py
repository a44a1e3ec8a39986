"""Fixtures for reconciliation: runs over today against the offline Stripe."""

from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import stripe_client


@pytest.fixture
def reconcile_today(stripe_api):
    """Run a reconciliation of today, as the command does; return the run."""
    from reconcile.services import reconciliation_run, reconciliation_start

    def run():
        started = reconciliation_start(since=timezone.localdate())
        return reconciliation_run(started.pk)

    return run


@pytest.fixture
def stripe_charge(stripe_api):
    """Charge a card in Stripe directly, as someone in the dashboard would."""

    def charge(amount_minor=3000):
        return stripe_client().v1.payment_intents.create(
            params={
                "amount": amount_minor,
                "currency": "eur",
                "payment_method": "pm_card_visa",
                "payment_method_types": ["card"],
                "confirm": True,
            }
        )

    return charge


def euros(text: str):
    from djmoney.money import Money

    return Money(Decimal(text), "EUR")
