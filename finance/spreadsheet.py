"""Cells that are safe to open in a spreadsheet.

A donor can type "=HYPERLINK(…)" as a name; Excel and LibreOffice would run
it as a formula when finance opens the export. Text cells starting with a
formula character are prefixed with an apostrophe, which spreadsheets show
as plain text (the OWASP advice for CSV injection).
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row) -> tuple:
    return tuple(safe_cell(value) for value in row)
