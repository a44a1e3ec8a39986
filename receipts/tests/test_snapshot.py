"""Receipt snapshots: validation and their JSON form. No database needed."""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from receipts.snapshot import (
    PaymentLine,
    ReceiptSnapshot,
)
from receipts.tests.snapshots import (
    make_annual_snapshot,
    make_individual,
    make_snapshot,
)

# Snapshot


def test_snapshot_round_trips_through_json():
    snapshot = make_annual_snapshot()

    restored = ReceiptSnapshot.from_dict(json.loads(json.dumps(snapshot.to_dict())))

    assert restored == snapshot


def test_snapshot_dict_stores_decimals_as_strings_and_dates_as_iso():
    snapshot = make_snapshot()

    data = snapshot.to_dict()

    assert data["total"] == "120.50"
    assert data["issued_on"] == "2026-03-16"
    assert data["payments"] == [
        {"date": "2026-03-15", "amount": "120.50", "method": "card"}
    ]


def test_snapshot_of_another_schema_is_refused():
    data = make_snapshot().to_dict() | {"schema": 99}

    with pytest.raises(ValueError, match="schema"):
        ReceiptSnapshot.from_dict(data)


def test_unknown_donor_kind_is_refused():
    donor = make_individual()

    with pytest.raises(ValueError, match="donor kind"):
        replace(donor, kind="association")


def test_float_payment_amount_is_refused():
    given = 120.5

    with pytest.raises(TypeError, match="Decimal"):
        PaymentLine(date(2026, 3, 15), given, "card")


def test_total_differing_from_the_payments_is_refused():
    given = Decimal("100.00")

    with pytest.raises(ValueError, match="differs from payments"):
        make_snapshot(total=given)
