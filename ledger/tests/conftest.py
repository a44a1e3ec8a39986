"""A campaign that began in 2025 with three bourse holders, and its gifts."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from djmoney.money import Money

from campaigns.models import Beneficiary, Campaign
from payments.models import Gift

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def olympic(db):
    return Campaign.objects.create(
        slug="passeport-jo",
        status=Campaign.Status.LIVE,
        title_fr="Passeport pour les JO",
        title_en="Olympic passport",
        goal=Money(Decimal("3000"), "EUR"),
        starts_on="2025-01-01",
    )


@pytest.fixture
def athletes(olympic):
    """Three holders of a 1,000 € bourse, in position order."""
    return [
        Beneficiary.objects.create(
            campaign=olympic,
            public_name=name,
            summary_fr=summary,
            yearly_bourse=Money(Decimal("1000.00"), "EUR"),
            position=position,
            public_consent=consent,
        )
        for position, (name, summary, consent) in enumerate(
            [
                ("Léa Morel", "Plongeon", True),
                ("Hugo Garnier", "60 m haies", True),
                ("Inès Barbier", "Natation artistique", False),
            ],
            start=1,
        )
    ]


@pytest.fixture
def give(olympic, make_donor):
    """A paid gift to the campaign, dated at noon (Paris) on ``on``."""
    donor = None

    def make(amount, *, to=None, on="2025-06-15", **fields):
        nonlocal donor
        donor = donor or make_donor()
        day = datetime.date.fromisoformat(on)
        return Gift.objects.create(
            donor=donor,
            campaign=olympic,
            beneficiary=to,
            amount=Money(Decimal(amount), fields.pop("currency", "EUR")),
            status=fields.pop("status", Gift.Status.PAID),
            paid_at=datetime.datetime.combine(day, datetime.time(12), tzinfo=PARIS),
            **fields,
        )

    return make


@pytest.fixture
def even(settings):
    settings.LEDGER_ALLOCATION_RULE = "even"


@pytest.fixture
def in_order(settings):
    settings.LEDGER_ALLOCATION_RULE = "in_order"
