"""export_finance and the export datasets: formats read back, filters, refusals."""

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from djmoney.money import Money
from openpyxl import load_workbook

from campaigns.models import Campaign
from donors.models import Donor
from finance.export_datasets import ExportFilters
from finance.export_writers import csv_lines
from finance.spreadsheet import safe_cell
from payments.models import Gift, Refund
from receipts.services import receipt_issue_for_gift

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
BOM = "\ufeff"


@pytest.fixture
def gift_on(paid_gift):
    """A gift paid at noon UTC on ``day`` of 2026 (or of ``year``)."""

    def make(amount="50.00", *, day=(6, 1), year=2026, **fields):
        gift = paid_gift(amount, **fields)
        moment = datetime(year, *day, 12, 0, tzinfo=UTC)
        Gift.objects.filter(pk=gift.pk).update(paid_at=moment)
        gift.refresh_from_db()
        return gift

    return make


@pytest.fixture
def research(db):
    return Campaign.objects.create(
        slug="recherche-ia",
        goal=Money(Decimal(5000), "EUR"),
        starts_on="2026-01-01",
    )


def run(tmp_path, dataset, *, name="out", **flags) -> bytes:
    fmt = flags.get("format", "csv")
    output = tmp_path / f"{name}.{fmt}"
    call_command("export_finance", dataset, output=str(output), **flags)
    return output.read_bytes()


def csv_rows(raw: bytes, separator=";") -> list[dict]:
    text = raw.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=separator))


def xlsx_rows(raw: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(raw)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_gift_csv_has_bom_semicolons_and_decimal_commas(tmp_path, gift_on):
    gift = gift_on("1234.50")

    raw = run(tmp_path, "gifts", year="2026")

    assert raw.startswith(BOM.encode("utf-8"))
    [row] = csv_rows(raw)
    assert row["gift_id"] == str(gift.pk)
    assert row["amount"] == "1234,50"
    assert row["net_amount"] == "1234,50"
    assert row["paid_at_paris"] == "2026-06-01 14:00:00"


def test_comma_separator_writes_decimal_points(tmp_path, gift_on):
    gift_on("12.50")

    raw = run(tmp_path, "gifts", year="2026", separator=",")

    [row] = csv_rows(raw, separator=",")
    assert row["amount"] == "12.50"
    assert raw.decode("utf-8").splitlines()[0].count(",") == 19


def test_gift_xlsx_reads_back_with_numbers_and_dates(tmp_path, gift_on):
    gift = gift_on("75.25")

    [row] = xlsx_rows(run(tmp_path, "gifts", year="2026", format="xlsx"))

    assert row["gift_id"] == gift.pk
    assert row["amount"] == pytest.approx(75.25)
    assert row["paid_at_paris"].isoformat() == "2026-06-01T14:00:00"
    assert row["donor_name"] == "Anne Martin"


def test_donors_one_row_per_donor_and_currency(tmp_path, gift_on, make_donor):
    anne = make_donor()
    gift_on("10.00", donor=anne)
    gift_on("15.00", donor=anne, day=(7, 1))
    czk = gift_on("3000.00", donor=anne)
    Gift.objects.filter(pk=czk.pk).update(
        amount_currency="CZK", refunded_amount_currency="CZK"
    )
    other = make_donor(email="paul@example.org", first_name="Paul")
    gift_on("5.00", donor=other)

    rows = csv_rows(run(tmp_path, "donors", year="2026"))

    totals = {(r["donor_id"], r["currency"]): (r["gifts"], r["total"]) for r in rows}
    assert totals == {
        (str(anne.pk), "CZK"): ("1", "3000,00"),
        (str(anne.pk), "EUR"): ("2", "25,00"),
        (str(other.pk), "EUR"): ("1", "5,00"),
    }
    xlsx = xlsx_rows(run(tmp_path, "donors", year="2026", format="xlsx"))
    assert {r["donor_email"] for r in xlsx} == {
        "anne.martin@example.org",
        "paul@example.org",
    }


def test_receipts_csv_and_xlsx_list_each_receipt(tmp_path, gift_on):
    gift = gift_on("50.00")
    receipt = receipt_issue_for_gift(gift.pk, notify=False)

    [row] = csv_rows(run(tmp_path, "receipts", year=str(receipt.year)))
    [cell] = xlsx_rows(run(tmp_path, "receipts", year=str(receipt.year), format="xlsx"))

    assert row["receipt_number"] == receipt.number
    assert row["gift_id"] == str(gift.pk)
    assert row["donor_name"] == "Anne Martin"
    assert row["campaign"] == "passeport-jo"
    assert cell["receipt_number"] == receipt.number
    assert cell["amount"] == pytest.approx(50)


def test_year_filter_follows_paris_time(tmp_path, paid_gift):
    late = paid_gift("10.00")
    # 00:30 on 1 January 2027 in Paris.
    Gift.objects.filter(pk=late.pk).update(
        paid_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    )
    early = paid_gift("20.00")
    Gift.objects.filter(pk=early.pk).update(
        paid_at=datetime(2026, 12, 31, 22, 59, tzinfo=UTC)
    )

    assert [r["gift_id"] for r in csv_rows(run(tmp_path, "gifts", year="2026"))] == [
        str(early.pk)
    ]
    assert [r["gift_id"] for r in csv_rows(run(tmp_path, "gifts", year="2027"))] == [
        str(late.pk)
    ]


def test_campaign_status_and_method_filters_narrow_the_rows(
    tmp_path, gift_on, research
):
    card = gift_on("10.00")
    cheque = gift_on("20.00", method="cheque")
    other = gift_on("30.00", campaign=research)
    refunded = gift_on("40.00")
    Gift.objects.filter(pk=refunded.pk).update(status="refunded")

    def ids(**flags):
        return {
            r["gift_id"] for r in csv_rows(run(tmp_path, "gifts", year="2026", **flags))
        }

    assert ids() == {str(g.pk) for g in (card, cheque, other, refunded)}
    assert ids(campaign="recherche-ia") == {str(other.pk)}
    assert ids(method="cheque") == {str(cheque.pk)}
    assert ids(status="refunded") == {str(refunded.pk)}
    assert ids(status="paid", method="card", campaign="passeport-jo") == {str(card.pk)}


def test_receipt_filters_apply_to_the_receipted_gift(tmp_path, gift_on, research):
    ours = receipt_issue_for_gift(gift_on("10.00").pk, notify=False)
    receipt_issue_for_gift(gift_on("20.00", campaign=research).pk, notify=False)

    rows = csv_rows(run(tmp_path, "receipts", year="2026", campaign="passeport-jo"))

    assert [r["receipt_number"] for r in rows] == [ours.number]
    assert csv_rows(run(tmp_path, "receipts", year="2026", status="cancelled")) == []


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"year": "20x6"}, "year"),
        ({"year": "1999"}, "year"),
        ({"year": "2026", "status": "pending"}, "pending"),
        ({"year": "2026", "status": "cancelled"}, "cancelled.*paid, refunded"),
        ({"year": "2026", "method": "bitcoin"}, "method"),
        ({"year": "2026", "campaign": "nowhere"}, "nowhere"),
        ({"year": "2026", "format": "pdf"}, "format"),
        ({"year": "2026", "separator": "|"}, "separator"),
    ],
)
def test_bad_filter_is_refused_with_exit_2_and_nothing_written(
    tmp_path, gift_on, flags, message
):
    gift_on()
    output = tmp_path / "refused.csv"

    with pytest.raises(CommandError, match=message) as refused:
        call_command("export_finance", "gifts", output=str(output), **flags)

    assert refused.value.returncode == 2
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []


def test_unknown_dataset_is_refused(tmp_path):
    with pytest.raises(CommandError, match="dataset") as refused:
        call_command(
            "export_finance", "payroll", year="2026", output=str(tmp_path / "x")
        )

    assert refused.value.returncode == 2


def test_unknown_flag_is_one_line_and_exit_2(tmp_path):
    import subprocess
    import sys

    output = tmp_path / "x.csv"
    done = subprocess.run(
        [sys.executable, "manage.py", "export_finance", "gifts", "--year", "2026",
         "--colour", "red", "--output", str(output)],
        capture_output=True,
        text=True,
    )  # fmt: skip

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "CommandError: unrecognized arguments: --colour red (see --help)"
    ]
    assert not output.exists()


# === Formula neutralisation ===


def test_formula_in_a_name_is_neutralised_in_csv_and_xlsx(
    tmp_path, gift_on, make_donor
):
    donor = make_donor(first_name='=HYPERLINK("http://x")', last_name="")
    Donor.objects.filter(pk=donor.pk).update(first_name='=HYPERLINK("http://x")')
    gift_on(donor=donor)

    [row] = csv_rows(run(tmp_path, "gifts", year="2026"))
    sheet = load_workbook(
        io.BytesIO(run(tmp_path, "gifts", year="2026", format="xlsx"))
    )
    cell = sheet.active.cell(row=2, column=12)

    assert row["donor_name"] == '\'=HYPERLINK("http://x")'
    assert cell.value == '=HYPERLINK("http://x")'
    assert cell.data_type == "s"


@pytest.mark.parametrize("text", ["-12.50", "-12,50", "-3"])
def test_negative_amounts_stay_numbers(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("text", ["-1+1", "+33 1 23", "@SUM(A1)", "-2e5", "=1"])
def test_formula_like_text_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


def test_negative_decimal_is_written_as_a_plain_number():
    lines = list(
        csv_lines(("amount", "label"), [(Decimal("-12.50"), "-x")], separator=",")
    )

    assert lines[1] == "-12.50,'-x\r\n"


# === Accounting ===


def accounting(tmp_path, **flags) -> list[dict]:
    return csv_rows(run(tmp_path, "accounting", year="2026", **flags))


def test_a_paid_gift_is_a_balanced_entry_on_its_campaign(tmp_path, gift_on):
    gift = gift_on("80.00")
    receipt = receipt_issue_for_gift(gift.pk, notify=False)

    debit, credit = accounting(tmp_path)

    assert debit["entry"] == credit["entry"] == f"G{gift.pk}"
    assert (debit["account"], debit["debit"], debit["credit"]) == (
        "467100",
        "80,00",
        "",
    )
    assert (credit["account"], credit["debit"], credit["credit"]) == (
        "754100",
        "",
        "80,00",
    )
    assert debit["analytic_code"] == credit["analytic_code"] == "passeport-jo"
    assert debit["date"] == "2026-06-01"
    assert debit["journal"] == "DON"
    assert debit["currency"] == "EUR"
    assert credit["reference"] == receipt.number
    assert credit["label"] == f"Don {gift.pk}"


def test_refund_is_its_own_entry_reversing_the_gift(tmp_path, gift_on):
    gift = gift_on("60.00", method="transfer")
    refund = Refund.objects.create(
        gift=gift, amount=Money("25.00", "EUR"), source="manual", reason="erreur"
    )

    lines = accounting(tmp_path)

    refund_lines = [line for line in lines if line["entry"] == f"R{refund.pk}"]
    assert [(r["account"], r["debit"], r["credit"]) for r in refund_lines] == [
        ("754100", "25,00", ""),
        ("512000", "", "25,00"),
    ]
    assert lines[0]["account"] == "512000"  # a transfer lands at the bank


def test_each_line_keeps_its_currency(tmp_path, gift_on):
    gift = gift_on("500.00")
    Gift.objects.filter(pk=gift.pk).update(
        amount_currency="DKK", refunded_amount_currency="DKK"
    )

    lines = accounting(tmp_path)

    assert {line["currency"] for line in lines} == {"DKK"}


def test_accounting_filters_by_campaign_and_method(tmp_path, gift_on, research):
    gift_on("10.00")
    cheque = gift_on("20.00", method="cheque", campaign=research)

    assert {r["entry"] for r in accounting(tmp_path, campaign="recherche-ia")} == {
        f"G{cheque.pk}"
    }
    assert {r["entry"] for r in accounting(tmp_path, method="cheque")} == {
        f"G{cheque.pk}"
    }
    lines = accounting(tmp_path, method="cheque")
    assert lines[0]["account"] == "511200"


def test_accounting_refuses_a_status_filter(tmp_path):
    with pytest.raises(CommandError, match="status") as refused:
        call_command(
            "export_finance", "accounting", year="2026", status="paid",
            output=str(tmp_path / "a.csv"),
        )  # fmt: skip
    assert refused.value.returncode == 2


def test_without_reconciliation_there_are_no_fee_or_payout_lines(tmp_path, gift_on):
    gift_on()

    lines = accounting(tmp_path)

    assert {line["entry"][0] for line in lines} == {"G"}


# A stand-in for the reconciliation app's functions (docs/exports.md): the
# hook under test is ours; the rows it returns are what that app documents.
FEE_ROWS: list[dict] = []
PAYOUT_ROWS: list[dict] = []


def fee_lines(start, end):
    return [row for row in FEE_ROWS if start <= row["at"] < end]


def payout_lines(start, end):
    return [row for row in PAYOUT_ROWS if start <= row["at"] < end]


@pytest.fixture
def reconciled(settings):
    settings.MECENE_ACCOUNTING = {
        "fee_lines": "finance.tests.test_finance_exports.fee_lines",
        "payout_lines": "finance.tests.test_finance_exports.payout_lines",
    }
    yield
    FEE_ROWS.clear()
    PAYOUT_ROWS.clear()


def test_fees_and_payouts_join_the_journal_in_date_order(tmp_path, gift_on, reconciled):
    gift = gift_on("100.00", day=(3, 1))
    FEE_ROWS.append(
        {
            "at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
            "gift_id": gift.pk,
            "campaign": "passeport-jo",
            "fee": Money("1.65", "EUR"),
            "reference": "txn_1",
        }
    )
    PAYOUT_ROWS.append(
        {
            "at": datetime(2026, 3, 5, 9, 0, tzinfo=UTC),
            "amount": Money("98.35", "EUR"),
            "reference": "po_1",
        }
    )

    lines = accounting(tmp_path)

    assert [(r["entry"], r["account"], r["debit"], r["credit"]) for r in lines] == [
        (f"G{gift.pk}", "467100", "100,00", ""),
        (f"G{gift.pk}", "754100", "", "100,00"),
        ("Ftxn_1", "627800", "1,65", ""),
        ("Ftxn_1", "467100", "", "1,65"),
        ("Ppo_1", "512000", "98,35", ""),
        ("Ppo_1", "467100", "", "98,35"),
    ]
    # A payout spans campaigns: a campaign's export leaves it out.
    entries = {r["entry"] for r in accounting(tmp_path, campaign="passeport-jo")}
    assert entries == {f"G{gift.pk}", "Ftxn_1"}


def test_accounting_xlsx_debits_equal_credits(tmp_path, gift_on):
    gift_on("10.00")
    gift_on("32.10", day=(2, 3))

    rows = xlsx_rows(run(tmp_path, "accounting", year="2026", format="xlsx"))

    debit = sum(Decimal(str(r["debit"])) for r in rows if r["debit"] is not None)
    credit = sum(Decimal(str(r["credit"])) for r in rows if r["credit"] is not None)
    assert debit == credit == Decimal("42.10")


def test_filters_serialise_for_a_job():
    filters = ExportFilters(year=2026, campaign="passeport-jo")

    assert ExportFilters(**filters.as_params()) == filters


def test_control_characters_are_dropped_from_xlsx():
    from finance.export_writers import write_xlsx

    target = io.BytesIO()
    write_xlsx(target, ("name",), [("Zo\x01é\x1f",)])

    [row] = xlsx_rows(target.getvalue())
    assert row == {"name": "Zoé"}


def test_a_hook_that_cannot_be_imported_is_a_configuration_error(settings, gift_on):
    from django.core.exceptions import ImproperlyConfigured

    from finance.accounting import accounting_rows

    gift_on()
    settings.MECENE_ACCOUNTING = {"fee_lines": "finance.nowhere.fee_lines"}

    with pytest.raises(ImproperlyConfigured, match="fee_lines"):
        list(accounting_rows(ExportFilters(year=2026)))
