"""Cells that are safe to open in a spreadsheet.

A donor can type "=HYPERLINK(…)" as a name; Excel and LibreOffice would run
it as a formula when finance opens the export. Text cells starting with a
formula character are prefixed with an apostrophe, which spreadsheets show
as plain text (the OWASP advice for CSV injection).

A plain number such as "-12.50" (a refund) or "-12,50" (the same with a
French decimal comma) is left alone: it cannot run anything, and the
apostrophe would turn the amount into text the accountant cannot add up.
"""

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed decimal number and nothing else; "-1+1" or "-2e5" do not match.
PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


def safe_cell(value):
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def safe_row(row) -> tuple:
    return tuple(safe_cell(value) for value in row)
