"""export_donations: one row per gift of a Paris-time year; bad flags refused."""

import csv
import io
import os
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command

from payments.models import Gift
from receipts.services import receipt_issue_for_gift

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def export(tmp_path, year="2026", **flags):
    output = tmp_path / "gifts.csv"
    call_command("export_donations", year=year, output=str(output), **flags)
    with output.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def pay_at(gift, moment):
    Gift.objects.filter(pk=gift.pk).update(paid_at=moment)


def test_one_row_per_gift_with_donor_campaign_amount_and_receipt(tmp_path, paid_gift):
    gift = paid_gift("50.00")
    pay_at(gift, datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    receipt = receipt_issue_for_gift(gift.pk)

    rows = export(tmp_path)

    assert rows == [
        {
            "gift_id": str(gift.pk),
            "status": "paid",
            "paid_at_paris": "2026-06-01 12:00:00",
            "amount": "50.00",
            "currency": "EUR",
            "refunded": "0.00",
            "net_amount": "50.00",
            "campaign": "passeport-jo",
            "beneficiary": "",
            "donor_id": str(gift.donor_id),
            "donor_type": "individual",
            "donor_name": "Anne Martin",
            "company_siren": "",
            "donor_email": "anne.martin@example.org",
            "postal_code": "75005",
            "country": "FR",
            "anonymous": "no",
            "payment_method": "card",
            "stripe_payment_intent": "",
            "receipt_number": receipt.number,
        }
    ]


def test_year_follows_paris_time(tmp_path, paid_gift):
    new_year = paid_gift("10.00")
    pay_at(new_year, datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # 00:30 in Paris
    old_year = paid_gift("20.00")
    pay_at(old_year, datetime(2026, 12, 31, 22, 59, tzinfo=UTC))  # 23:59 in Paris

    assert [row["gift_id"] for row in export(tmp_path, "2026")] == [str(old_year.pk)]
    assert [row["gift_id"] for row in export(tmp_path, "2027")] == [str(new_year.pk)]


def test_pending_gifts_are_not_exported(tmp_path, make_gift):
    make_gift()

    assert export(tmp_path) == []


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"year": "20x6"}, "four-digit year"),
        ({"year": "1850"}, "between 2000 and 2100"),
        ({"year": "2026", "format": "pdf"}, "format must be one of csv"),
    ],
)
def test_bad_flags_are_refused_with_one_line(flags, message, tmp_path):
    with pytest.raises(CommandError, match=message):
        call_command("export_donations", output=str(tmp_path / "x.csv"), **flags)
    assert not (tmp_path / "x.csv").exists()


def test_unwritable_output_is_refused(tmp_path):
    with pytest.raises(CommandError, match="cannot write"):
        call_command(
            "export_donations", year="2026", output=str(tmp_path / "no" / "x.csv")
        )


def test_command_line_exits_non_zero_with_a_single_line_and_no_traceback():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "export_donations",
            "--year",
            "abc",
            "--output",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("CommandError: year must")


def test_staff_with_permission_downloads_the_csv(client, paid_gift):
    gift = paid_gift()
    staff = User.objects.create_user("finance", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_gift"))
    client.force_login(staff)
    year = gift.paid_at.astimezone(ZoneInfo("Europe/Paris")).year

    response = client.get(f"/finance/export/donations/?year={year}&format=csv")

    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="donations-{year}.csv"'
    )
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )
    assert [row["gift_id"] for row in rows] == [str(gift.pk)]


def test_staff_without_permission_is_refused(client):
    client.force_login(User.objects.create_user("intern", password="x", is_staff=True))

    assert client.get("/finance/export/donations/?year=2026").status_code == 403


def test_download_with_a_bad_year_is_a_400(client):
    client.force_login(User.objects.create_superuser("boss", password="x"))

    response = client.get("/finance/export/donations/?year=abc")

    assert response.status_code == 400


def test_gift_on_an_annual_summary_shows_the_summary_number(
    tmp_path, paid_gift, make_donor
):
    from receipts.annual import receipt_issue_annual

    donor = make_donor(receipt_preference="annual")
    gift = paid_gift("30.00", donor=donor, receipt_mode="annual")
    pay_at(gift, datetime(2025, 5, 1, 10, 0, tzinfo=UTC))
    summary = receipt_issue_annual(donor.pk, 2025)

    rows = export(tmp_path, year="2025")

    assert [row["receipt_number"] for row in rows] == [summary.number]


def test_a_name_that_looks_like_a_formula_is_exported_as_text(
    tmp_path, paid_gift, make_donor
):
    donor = make_donor(first_name="=HYPERLINK(", last_name="x")
    gift = paid_gift(donor=donor)
    pay_at(gift, datetime(2026, 6, 1, 10, 0, tzinfo=UTC))

    rows = export(tmp_path)

    assert rows[0]["donor_name"] == "'=HYPERLINK( x"


def test_bad_year_in_the_download_is_echoed_as_plain_text(client):
    client.force_login(User.objects.create_superuser("boss2", password="x"))

    response = client.get(
        "/finance/export/donations/?year=<img src=x onerror=alert(1)>"
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("kind", ["pipe", "link"])
def test_export_refuses_to_replace_a_pipe_or_a_link(kind, tmp_path):
    # A pipe stands in for a device such as /dev/null, which a test must
    # never risk replacing.
    (tmp_path / "real.csv").write_text("keep me")
    target = tmp_path / kind
    if kind == "pipe":
        os.mkfifo(target)
    else:
        target.symlink_to(tmp_path / "real.csv")

    with pytest.raises(CommandError, match="not a regular file"):
        call_command("export_donations", year="2026", output=str(target))

    assert (tmp_path / "real.csv").read_text() == "keep me"
    assert target.is_fifo() if kind == "pipe" else target.is_symlink()


@pytest.mark.parametrize(
    "args", [[], ["--year", "2026", "--bogus"]], ids=["missing-year", "unknown-flag"]
)
def test_bad_flags_are_one_line_with_exit_code_2(args):
    result = subprocess.run(
        [sys.executable, "manage.py", "export_donations", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("CommandError: ")
