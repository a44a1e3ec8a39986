"""receipts_check and tax_declaration: what they report and how they exit."""

import io
import json
import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from payments.models import Gift
from receipts.corrections import receipt_cancel, receipt_duplicate_pdf, receipt_replace
from receipts.models import Receipt, ReceiptSequence
from receipts.services import receipt_issue_for_gift

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


def run(command, **flags) -> str:
    out = io.StringIO()
    call_command(command, stdout=out, **flags)
    return out.getvalue()


def manage(*args) -> subprocess.CompletedProcess:
    # The command line, on the test database, to see real exit codes.
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=settings.BASE_DIR,
    )


@pytest.fixture
def issued(paid_gift):
    """Issue the receipt of a new paid gift of ``amount`` euros."""

    def issue(amount="50.00", paid_at=None):
        gift = paid_gift(amount)
        if paid_at is not None:
            Gift.objects.filter(pk=gift.pk).update(paid_at=paid_at)
        return receipt_issue_for_gift(gift.pk, notify=False)

    return issue


# --- receipts_check ---------------------------------------------------------


def test_clean_series_passes_with_a_one_line_summary(issued):
    first, _second = issued("10.00"), issued("20.00")

    output = run("receipts_check", year=str(first.year))

    assert output == f"{first.year}: 2 receipts (0 cancelled), sequence at 2: clean\n"


def test_cancelled_and_replaced_receipts_keep_the_series_clean(issued):
    cancelled, replaced = issued("10.00"), issued("100.00")
    receipt_cancel(cancelled.pk, reason="Refunded")
    receipt_replace(replaced.pk, kept_amount=Decimal("60.00"), reason="Refund 40")

    output = run("receipts_check", year=str(cancelled.year))

    assert output.endswith("3 receipts (2 cancelled), sequence at 3: clean\n")


def test_a_year_without_receipts_is_clean():
    assert run("receipts_check", year="2031").endswith("sequence at none: clean\n")


def test_numbers_taken_without_a_receipt_are_reported_as_a_gap(issued):
    receipt = issued()
    ReceiptSequence.objects.filter(year=receipt.year).update(last_number=3)

    with pytest.raises(CommandError) as error:
        run("receipts_check", year=str(receipt.year))

    year = receipt.year
    assert str(error.value) == (
        f"receipts of {year}: gap: sequence at 3 but no receipt numbered "
        f"{year}-000002 to {year}-000003"
    )


def test_a_missing_number_inside_the_series_is_reported(issued):
    issued("10.00")
    moved = issued("20.00")
    year = moved.year
    Receipt.objects.filter(pk=moved.pk).update(
        sequence_number=3, number=f"{year}-000003"
    )
    ReceiptSequence.objects.filter(year=year).update(last_number=3)

    with pytest.raises(CommandError, match=f"gap: no receipt numbered {year}-000002"):
        run("receipts_check", year=str(year))


def test_a_sequence_behind_the_receipts_is_reported(issued):
    issued("10.00")
    receipt = issued("20.00")
    ReceiptSequence.objects.filter(year=receipt.year).update(last_number=1)

    with pytest.raises(CommandError, match="sequence at 1 is behind the highest"):
        run("receipts_check", year=str(receipt.year))


def test_a_misformatted_number_is_reported(issued):
    receipt = issued()
    Receipt.objects.filter(pk=receipt.pk).update(number=f"{receipt.year}-1")

    with pytest.raises(CommandError, match=f"number should be {receipt.year}-000001"):
        run("receipts_check", year=str(receipt.year))


def test_a_missing_pdf_file_is_reported(issued):
    receipt = issued()
    receipt.pdf.storage.delete(receipt.pdf.name)

    with pytest.raises(CommandError, match=f"{receipt.number}: PDF file missing"):
        run("receipts_check", year=str(receipt.year))


def test_an_altered_pdf_is_reported_as_a_hash_mismatch(issued):
    receipt = issued()
    with open(receipt.pdf.path, "ab") as handle:
        handle.write(b"%% edited after issue\n")

    with pytest.raises(CommandError, match=f"{receipt.number}: PDF SHA-256 does not"):
        run("receipts_check", year=str(receipt.year))


def test_every_problem_is_listed_at_verbosity_two(issued):
    receipt = issued()
    receipt.pdf.storage.delete(receipt.pdf.name)
    ReceiptSequence.objects.filter(year=receipt.year).update(last_number=2)
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("receipts_check", year=str(receipt.year), verbosity=2, stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].endswith("sequence at 2: 2 problems")
    assert lines[1] == f"{receipt.number}: PDF file missing"
    assert lines[2].startswith("gap: sequence at 2")


@pytest.mark.django_db(transaction=True)
def test_command_line_exits_zero_on_a_clean_series(issued):
    receipt = issued()

    result = manage("receipts_check", "--year", str(receipt.year))

    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"{receipt.year}: 1 receipts (0 cancelled), sequence at 1: clean\n"
    )


@pytest.mark.django_db(transaction=True)
def test_command_line_exits_non_zero_with_one_line_naming_the_problem(issued):
    receipt = issued()
    receipt.pdf.storage.delete(receipt.pdf.name)

    result = manage("receipts_check", "--year", str(receipt.year))

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"CommandError: receipts of {receipt.year}: {receipt.number}: PDF file missing"
    ]


# --- tax_declaration --------------------------------------------------------


def test_declaration_json_excludes_cancelled_receipts_and_counts_replacements(
    issued,
):
    kept = issued("50.00")
    refunded = issued("30.00")
    partly_refunded = issued("120.50")
    receipt_cancel(refunded.pk, reason="Refunded")
    receipt_replace(partly_refunded.pk, kept_amount=Decimal("100.00"), reason="20")

    output = run("tax_declaration", year=str(kept.year), format="json")

    assert json.loads(output) == {
        "year": kept.year,
        "receipts": 2,
        "total_eur": "150.00",
        "cancelled_excluded": 2,
    }


def test_duplicates_are_not_counted_in_the_declaration(issued):
    receipt = issued("50.00")
    receipt_duplicate_pdf(receipt.pk, on=date(2027, 2, 1))
    receipt_duplicate_pdf(receipt.pk, on=date(2027, 3, 1))

    output = run("tax_declaration", year=str(receipt.year), format="json")

    assert json.loads(output)["receipts"] == 1
    assert json.loads(output)["total_eur"] == "50.00"


def test_declaration_counts_a_gift_in_the_paris_year_it_was_received(issued):
    # 23:30 UTC on 31 December 2026 is 00:30 on 1 January 2027 in Paris.
    issued("40.00", paid_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    issued("10.00", paid_at=datetime(2026, 12, 31, 22, 59, tzinfo=UTC))

    in_2026 = json.loads(run("tax_declaration", year="2026", format="json"))
    in_2027 = json.loads(run("tax_declaration", year="2027", format="json"))

    assert (in_2026["receipts"], in_2026["total_eur"]) == (1, "10.00")
    assert (in_2027["receipts"], in_2027["total_eur"]) == (1, "40.00")


def test_declaration_of_a_year_without_receipts_is_zero():
    output = run("tax_declaration", year="2031", format="json")

    assert json.loads(output) == {
        "year": 2031,
        "receipts": 0,
        "total_eur": "0.00",
        "cancelled_excluded": 0,
    }


def test_declaration_text_is_one_line(issued):
    receipt = issued("120.50")

    output = run("tax_declaration", year=str(receipt.year))

    assert output == (
        f"{receipt.year}: 1 receipts issued, total 120.50 EUR "
        "(0 cancelled receipts excluded)\n"
    )


@pytest.mark.parametrize("command", ["receipts_check", "tax_declaration"])
@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"year": "20x6"}, "year must be a four-digit year, not '20x6'"),
        ({"year": "1850"}, "year must be between 2000 and 2100, not 1850"),
    ],
)
def test_bad_year_is_refused_with_one_line(command, flags, message):
    with pytest.raises(CommandError) as error:
        run(command, **flags)

    assert str(error.value) == message


def test_bad_declaration_format_is_refused_with_one_line():
    with pytest.raises(CommandError) as error:
        run("tax_declaration", year="2026", format="xml")

    assert str(error.value) == "format must be one of text, json, not 'xml'"


def test_bad_flag_on_the_command_line_exits_non_zero_without_a_traceback():
    result = manage("tax_declaration", "--year", "abc")

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "CommandError: year must be a four-digit year, not 'abc'"
    ]


def test_both_commands_only_read(issued):
    receipt = issued()
    before = (
        list(Receipt.objects.values()),
        list(ReceiptSequence.objects.values()),
        receipt.events.count(),
    )

    run("receipts_check", year=str(receipt.year))
    run("tax_declaration", year=str(receipt.year), format="json")

    assert before == (
        list(Receipt.objects.values()),
        list(ReceiptSequence.objects.values()),
        receipt.events.count(),
    )


def test_nightly_check_logs_a_gap_for_a_person(issued, caplog):
    from receipts.models import ReceiptSequence
    from receipts.tasks import receipts_check_task

    receipt = issued("10.00")
    ReceiptSequence.objects.filter(year=receipt.year).update(last_number=3)

    problems = receipts_check_task(receipt.year)

    assert any("gap" in problem for problem in problems)
    assert any(
        record.levelname == "ERROR" and "gap" in record.getMessage()
        for record in caplog.records
    )
