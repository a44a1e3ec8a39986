"""Helpers for the exchange-rate tests: the sample ECB files and stored rates."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from fx.models import FxRate

DATA = Path(__file__).resolve().parent / "data"


def import_rates(path, *flags) -> str:
    """Run ``import_fx_rates`` as an operator would and return its output."""
    out = io.StringIO()
    call_command("import_fx_rates", str(path), *flags, stdout=out)
    return out.getvalue()


def stored() -> dict:
    """Every stored rate as {(currency, "YYYY-MM-DD"): Decimal}."""
    return {
        (rate.currency, rate.day.isoformat()): rate.per_eur
        for rate in FxRate.objects.all()
    }


@pytest.fixture
def sample():
    """The path of one of the sample ECB files in ``fx/tests/data``."""
    return lambda name: DATA / name


@pytest.fixture
def edited_sample(tmp_path):
    """A copy of a sample file with one piece of text replaced."""

    def edit(name, old, new):
        text = (DATA / name).read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {name}"
        path = tmp_path / name
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    return edit


@pytest.fixture
def store_rate(db):
    """Store one rate as an import would."""

    def store(currency, day, per_eur):
        return FxRate.objects.create(
            currency=currency, day=day, per_eur=Decimal(per_eur), source="test"
        )

    return store
