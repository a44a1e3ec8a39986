"""Write dataset rows as CSV or XLSX, one row at a time.

CSV is UTF-8 with a byte order mark, which Excel needs to read accents. Its
separator is ";" by default, the one French Excel splits on; with ";" the
decimal separator is the French comma ("-12,50"), with "," it is the point
("-12.50"), as each spreadsheet locale expects. XLSX uses openpyxl's
write-only mode, which streams rows to a temporary file instead of holding
the workbook; amounts are real numbers and times real dates there.

Both neutralise text that a spreadsheet would run as a formula
(``finance.spreadsheet``): CSV with an apostrophe, XLSX by storing the cell
as a string, never as a formula.
"""

import csv
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from finance.spreadsheet import safe_cell

FORMATS = ("csv", "xlsx")
SEPARATORS = (";", ",")
BOM = "\ufeff"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Rows written between two calls of a progress callback.
PROGRESS_EVERY = 5000

Progress = Callable[[int], None] | None


def csv_text(value, decimal_comma: bool):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value)


class _Echo:
    def write(self, value):
        return value


def csv_lines(
    header: Iterable[str], rows: Iterable[tuple], *, separator=";", bom=True
) -> Iterator[str]:
    """The CSV text, one line per item: for a streamed HTTP response."""
    writer = csv.writer(_Echo(), delimiter=separator)
    decimal_comma = separator == ";"
    yield (BOM if bom else "") + writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_text(value, decimal_comma) for value in row])


def write_csv(
    stream, header, rows, *, separator=";", bom=True, progress: Progress = None
) -> int:
    """Write to a text stream opened with ``newline=""``; return the row count."""
    count = -1
    for count, line in enumerate(csv_lines(header, rows, separator=separator, bom=bom)):
        stream.write(line)
        if progress and count and count % PROGRESS_EVERY == 0:
            progress(count)
    return count


def _xlsx_row(sheet, row: tuple) -> list:
    cells = []
    for value in row:
        if isinstance(value, str):
            if ILLEGAL_CHARACTERS_RE.search(value):
                # Control characters are not allowed in XLSX at all.
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith("="):
                # openpyxl would store it as a formula; a string cell shows
                # the text and never runs it.
                cell = WriteOnlyCell(sheet, value)
                cell.data_type = "s"
                value = cell
        cells.append(value)
    return cells


def write_xlsx(
    target, header, rows, *, title="Export", progress: Progress = None
) -> int:
    """Write a workbook to a path or a binary file; return the row count."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(header))
    count = 0
    for row in rows:
        sheet.append(_xlsx_row(sheet, row))
        count += 1
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
    workbook.save(target)
    return count


def write_rows(
    target, fmt: str, header, rows, *, separator=";", title="Export", progress=None
) -> int:
    """Write to a path in ``fmt``; return the row count."""
    if fmt == "xlsx":
        return write_xlsx(target, header, rows, title=title, progress=progress)
    with open(target, "w", newline="", encoding="utf-8") as stream:
        return write_csv(stream, header, rows, separator=separator, progress=progress)
