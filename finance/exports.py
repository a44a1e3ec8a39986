"""The original gift export (``export_donations``, the gift list's button).

It keeps its first format, comma-separated UTF-8 without a byte order mark,
for the scripts that already read it; the rows are the ``gifts`` dataset of
``finance.export_datasets``, which the export page and ``export_finance``
offer with more filters and formats.
"""

from collections.abc import Iterable, Iterator

from finance import export_writers
from finance.export_datasets import GIFT_HEADER as HEADER
from finance.export_datasets import ExportFilters, gift_rows
from receipts.declaration import parse_year as receipts_parse_year

FORMATS = ("csv",)


class ExportError(ValueError):
    pass


def parse_year(raw) -> int:
    try:
        return receipts_parse_year(raw)
    except ValueError as exc:
        raise ExportError(str(exc)) from None


def parse_format(raw) -> str:
    value = str(raw)
    if value not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, not {raw!r}")
    return value


def donation_rows(year: int) -> Iterator[tuple]:
    """Gifts paid (or refunded) in the Paris-time calendar year ``year``."""
    return gift_rows(ExportFilters(year=year))


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    return export_writers.csv_lines(HEADER, rows, separator=",", bom=False)


def write_csv(year: int, stream) -> int:
    return export_writers.write_csv(
        stream, HEADER, donation_rows(year), separator=",", bom=False
    )
