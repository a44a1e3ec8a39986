"""Monthly gifts for tests: made as the donate page makes them, or set up
directly on a shared Stripe customer when a test needs hundreds."""

from datetime import date
from decimal import Decimal

import pytest
from djmoney.money import Money

from conftest import DONOR_DETAILS, confirm_setup_in_browser, stripe_client

GOOD_IBAN = "FR1420041010050500013M02606"
# The offline Stripe's only failing IBAN: processing, then failed.
FAILING_IBAN = "DE62370400440532013001"
CARDS = {
    "ok": "4242424242424242",
    "declines": "4000000000000341",
    "3ds": "4000002500003155",
}


def mandate_for(iban: str) -> dict:
    return {
        "text": "Mandate wording",
        "iban_country": iban[:2],
        "iban_last4": iban[-4:],
    }


def confirm_sepa_setup_in_browser(gift, iban=GOOD_IBAN):
    """What Stripe.js confirmSepaDebitSetup does with the donor's IBAN."""
    return stripe_client().v1.setup_intents.confirm(
        gift.stripe_setup_intent_id,
        params={
            "payment_method_data": {
                "type": "sepa_debit",
                "sepa_debit": {"iban": iban},
                "billing_details": {"name": "Jeanne Martin", "email": "j@example.org"},
            }
        },
    )


@pytest.fixture
def start_monthly(stripe_api, campaign):
    """A monthly gift whose first payment went through on the donate page."""
    from payments.services import gift_charge, gift_create, gift_prepare_payment

    def start(amount="20.00", method="card", email=None, card=CARDS["ok"]):
        details = {**DONOR_DETAILS, "language": "fr"}
        if email:
            details["email"] = email
        gift = gift_create(
            campaign=campaign,
            donor_details=details,
            amount=Money(Decimal(amount), "EUR"),
            monthly=True,
            method=method,
            mandate=mandate_for(GOOD_IBAN) if method == "sepa" else None,
        )
        gift_prepare_payment(gift)
        gift.refresh_from_db()
        if method == "sepa":
            confirm_sepa_setup_in_browser(gift)
        else:
            confirm_setup_in_browser(gift, card=card)
        outcome = gift_charge(gift, setup_intent_id=gift.stripe_setup_intent_id)
        gift.refresh_from_db()
        return gift.recurring, gift, outcome

    return start


class StripeMethods:
    """Payment methods on one Stripe customer, shared by many test plans."""

    def __init__(self):
        self.client = stripe_client()
        self.customer = self.client.v1.customers.create(
            params={"email": "programme@example.org"}
        ).id
        self._cache = {}

    def card(self, kind="ok", exp=(12, 2030)):
        key = ("card", kind, exp)
        if key not in self._cache:
            method = self.client.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {
                        "number": CARDS[kind],
                        "exp_month": exp[0],
                        "exp_year": exp[1],
                        "cvc": "123",
                    },
                }
            )
            self.client.v1.payment_methods.attach(
                method.id, params={"customer": self.customer}
            )
            self._cache[key] = method.id
        return self._cache[key]

    def iban(self, iban):
        key = ("sepa", iban)
        if key not in self._cache:
            setup = self.client.v1.setup_intents.create(
                params={
                    "customer": self.customer,
                    "payment_method_types": ["sepa_debit"],
                }
            )
            setup = self.client.v1.setup_intents.confirm(
                setup.id,
                params={
                    "payment_method_data": {
                        "type": "sepa_debit",
                        "sepa_debit": {"iban": iban},
                        "billing_details": {"name": "A B", "email": "a@example.org"},
                    }
                },
            )
            method = setup.payment_method
            method = method if isinstance(method, str) else method.id
            self.client.v1.payment_methods.attach(
                method, params={"customer": self.customer}
            )
            self._cache[key] = method
        return self._cache[key]


@pytest.fixture
def stripe_methods(stripe_api):
    return StripeMethods()


@pytest.fixture
def active_plan(campaign, make_donor, stripe_methods):
    """An active monthly gift due on ``next_charge_on``, set up directly."""
    from payments.models import Mandate, RecurringGift

    counter = iter(range(1, 100000))

    def make(next_charge_on=date(2027, 1, 5), kind="ok", method="card",
             iban=GOOD_IBAN, exp=(12, 2030), amount="15.00", donor=None):  # fmt: skip
        number = next(counter)
        donor = donor or make_donor(
            email=f"monthly{number}@example.org", receipt_preference="annual"
        )
        mandate = None
        if method == "sepa":
            payment_method = stripe_methods.iban(iban)
            mandate = Mandate.objects.create(
                donor=donor, language="fr", accepted_at="2026-12-01T10:00:00Z",
                stripe_payment_method_id=payment_method, **mandate_for(iban),
            )  # fmt: skip
        else:
            payment_method = stripe_methods.card(kind, exp)
        return RecurringGift.objects.create(
            donor=donor,
            campaign=campaign,
            amount=Money(Decimal(amount), "EUR"),
            method=method,
            status=RecurringGift.Status.ACTIVE,
            charge_day=next_charge_on.day,
            next_charge_on=next_charge_on,
            stripe_customer_id=stripe_methods.customer,
            stripe_payment_method_id=payment_method,
            card_exp_month=exp[0] if method == "card" else None,
            card_exp_year=exp[1] if method == "card" else None,
            mandate=mandate,
            started_at="2026-12-05T10:00:00Z",
        )

    return make
