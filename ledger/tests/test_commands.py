"""ledger_close_year: what finance runs in January."""

import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from freezegun import freeze_time

from ledger.models import LedgerYear

pytestmark = pytest.mark.django_db


def test_the_command_closes_a_year_and_says_what_rolled_over(
    olympic, athletes, give, even, capsys
):
    give("3100.00")

    with freeze_time("2026-01-15 08:00:00"):
        call_command("ledger_close_year", campaign="passeport-jo", year="2025")

    assert LedgerYear.objects.get().year == 2025
    out = capsys.readouterr().out
    assert "passeport-jo 2025 closed: 3 beneficiaries" in out
    assert "100.00 EUR unallocated carried into 2026" in out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"campaign": "passeport-jo", "year": "20x5"}, "four-digit year"),
        ({"campaign": "nope", "year": "2025"}, "no campaign with slug 'nope'"),
        ({"campaign": "passeport-jo", "year": "2024"}, "not a year of this campaign"),
    ],
)
def test_a_bad_flag_or_refusal_is_one_line_with_exit_code_2(
    olympic, athletes, flags, message
):
    with translation.override("en"), pytest.raises(CommandError, match=message) as exc:
        call_command("ledger_close_year", **flags)

    assert exc.value.returncode == 2
    assert not LedgerYear.objects.exists()


def test_a_missing_flag_is_one_line_with_exit_code_2():
    result = subprocess.run(
        [sys.executable, "manage.py", "ledger_close_year", "--year", "2025"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "CommandError: the following arguments are required: --campaign (see --help)"
    ]
