"""A year's ledger as CSV or XLSX, as the staff page shows it.

Amounts are written as numbers (Decimal), never as text, so a negative
adjustment stays a number while a name such as "=HYPERLINK(…)" is
neutralised by finance.spreadsheet.
"""

import csv
import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from finance.export_writers import csv_text
from finance.spreadsheet import safe_row
from ledger.selectors import YearLedger
from payments.currency import decimal_places

FORMATS = ("csv", "xlsx")
SEPARATORS = {"semicolon": ";", "comma": ","}


def _header() -> tuple:
    return (
        _("Beneficiary"),
        _("Bourse committed"),
        _("Carried in"),
        _("Designated gifts"),
        _("Late adjustment"),
        _("Allocated"),
        _("Funded"),
        _("Surplus"),
        _("State"),
        _("Currency"),
    )


def ledger_rows(ledger: YearLedger) -> list[tuple]:
    """The table: a header, one row per beneficiary, then the undesignated
    money's figures as label and amount after an empty row."""
    currency = ledger.campaign.currency
    cent = Decimal(1).scaleb(-decimal_places(currency))

    def amount(money) -> Decimal:
        # Every amount with the currency's decimals: 0.00, never 0.
        return money.amount.quantize(cent)

    rows = [_header()]
    for row in ledger.rows:
        rows.append(
            (
                row.public_name,
                amount(row.committed),
                amount(row.carried_in),
                amount(row.designated),
                amount(row.adjustment),
                amount(row.allocated),
                amount(row.funded),
                amount(row.surplus),
                str(row.get_state_display()),
                currency,
            )
        )
    rows.append(())
    for label, money in (
        (_("Undesignated gifts"), ledger.undesignated),
        (_("Undesignated carried in"), ledger.carried_in),
        (_("Undesignated late adjustment"), ledger.adjustment),
        (_("Allocated to beneficiaries"), ledger.allocated),
        (_("Unallocated surplus"), ledger.unallocated),
    ):
        rows.append((label, amount(money), "", "", "", "", "", "", "", currency))
    return [safe_row(row) for row in rows]


def ledger_csv(ledger: YearLedger, *, separator: str = ";") -> bytes:
    """UTF-8 with a byte-order mark, so that Excel reads the accents; with
    ``;`` amounts take a decimal comma, as in finance's exports."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator)
    comma = separator == ";"
    writer.writerows(
        [csv_text(value, comma) for value in row] for row in ledger_rows(ledger)
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def ledger_xlsx(ledger: YearLedger) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = str(ledger.year)
    for row in ledger_rows(ledger):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in sheet.iter_rows(min_row=2, min_col=2, max_col=8):
        for cell in line:
            cell.number_format = "#,##0.00"
    sheet.column_dimensions["A"].width = 32
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_filename(ledger: YearLedger, extension: str) -> str:
    return f"ledger-{ledger.campaign.slug}-{ledger.year}.{extension}"
