"""Euro reference rates of the European Central Bank (ECB).

Reads the files the ECB publishes (XML and CSV), stores their rates once,
and converts a gift's amount to euros with the rate of its tax date. French
receipts are in euros, so a gift in CZK, PLN or DKK keeps the rate and the
euro amount computed here for good: they are never computed again.
"""

import csv
import io
import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from functools import partial
from xml.etree import ElementTree

from django.db import IntegrityError, transaction
from django.utils import timezone
from djmoney.money import Money

from fx.models import FxRate
from payments.currency import quantize

logger = logging.getLogger(__name__)

# The ECB publishes nothing on weekends and TARGET holidays. The longest gap,
# Good Friday to Easter Monday, skips four days, so a week without a rate
# means the rates were never imported, not that the ECB was closed.
FALLBACK_DAYS = 7

# Well above the ECB's largest file (its whole history since 1999); the cap
# keeps a wrong file from filling memory before it is recognised as wrong.
MAX_FILE_BYTES = 32 * 2**20

GESMES = "{http://www.gesmes.org/xml/2002-08-01}"
EUROFXREF = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# The daily CSV writes "03 December 2026"; month names are matched here
# rather than with strptime, whose %B follows the process locale.
LONG_DAY = re.compile(r"(\d{1,2}) ([A-Za-z]+) (\d{4})")
MONTHS = tuple(
    "january february march april may june july august september october "
    "november december".split()
)
RATE = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")
CURRENCY = re.compile(r"[A-Z]{3}")
# The bounds of FxRate.per_eur: 18 digits, 8 of them decimals.
MAX_RATE = Decimal(10) ** 10
MAX_DECIMALS = 8

# Rates by day, then by currency code: what one file holds.
RateTable = dict[date, dict[str, Decimal]]


class MissingRate(LookupError):
    """No usable ECB rate for a currency on a day."""


class RateFileError(ValueError):
    """A rate file that cannot be imported, in one line naming the day and
    currency at fault; nothing of it is stored."""


@dataclass(frozen=True)
class ImportSummary:
    first_day: date
    last_day: date
    days: int
    currencies: int
    new: int
    unchanged: int
    replaced: int

    def __str__(self):
        span = str(self.first_day)
        if self.last_day != self.first_day:
            span = f"{self.first_day} to {self.last_day}"
        rows = self.new + self.unchanged + self.replaced
        return (
            f"{_count(self.days, 'day')} ({span}), "
            f"{_count(self.currencies, 'currency', 'currencies')}, "
            f"{_count(rows, 'rate')}: {self.new} new, {self.unchanged} unchanged, "
            f"{self.replaced} replaced"
        )


# --- Reading the ECB's files -----------------------------------------------


def fx_rates_parse(data: bytes, *, today: date | None = None) -> RateTable:
    """Parse and check a whole ECB rate file, XML or CSV, before storing any.

    ``today`` is the Paris date by default: a rate dated after it cannot
    have been published. Read at most ``MAX_FILE_BYTES + 1`` bytes.
    """
    if len(data) > MAX_FILE_BYTES:
        raise RateFileError(f"larger than {MAX_FILE_BYTES // 2**20} MB")

    # The ECB's XML and CSV are told apart by their first characters.
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        table = _parse_xml(data)
    elif head[:4].lower() == b"date":
        table = _parse_csv(data)
    else:
        raise RateFileError("neither the ECB's XML nor its CSV")

    if not any(table.values()):
        raise RateFileError("no rates in the file")
    latest = max(table)
    if latest > (today or timezone.localdate()):
        raise RateFileError(f"rates dated {latest} are in the future")
    return table


class _NoDoctypeBuilder(ElementTree.TreeBuilder):
    # Entities can only be declared in a DOCTYPE, and ECB files have none:
    # refusing it shuts out external entities and entity expansion bombs.
    def doctype(self, name, pubid, system):
        raise RateFileError("XML with a DOCTYPE is refused")


def _parse_xml(data: bytes) -> RateTable:
    # The builder refuses any DOCTYPE, which is what defusedxml guards against.
    parser = ElementTree.XMLParser(target=_NoDoctypeBuilder())  # noqa: S314
    try:
        parser.feed(data)
        root = parser.close()
    except ElementTree.ParseError as exc:
        raise RateFileError(f"malformed XML ({exc})") from None
    if root.tag != f"{GESMES}Envelope":
        raise RateFileError("XML but not an ECB gesmes:Envelope")

    table: RateTable = {}
    for day_cube in root.iter(f"{EUROFXREF}Cube"):
        if "time" not in day_cube.attrib:
            continue
        day = _parse_day(day_cube.get("time"))
        if day in table:
            raise RateFileError(f"{day} appears twice")
        rates: dict[str, Decimal] = {}
        for cube in day_cube.findall(f"{EUROFXREF}Cube"):
            code = _parse_currency(cube.get("currency"), day)
            if code in rates:
                raise RateFileError(f"{code} appears twice on {day}")
            rates[code] = _parse_rate(cube.get("rate"), day, code)
        table[day] = rates
    return table


def _parse_csv(data: bytes) -> RateTable:
    try:
        text = data.decode("utf-8-sig").lstrip()
        rows = list(csv.reader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error):
        raise RateFileError("not a readable CSV file") from None

    columns = [cell.strip() for cell in rows[0]]
    if columns[0] != "Date":
        raise RateFileError("the CSV header does not start with Date")
    # The ECB ends every line with a comma, which makes an empty last column.
    while columns and not columns[-1]:
        columns.pop()
    currencies = [_parse_currency(code) for code in columns[1:]]
    if len(set(currencies)) != len(currencies):
        raise RateFileError("a currency appears twice in the CSV header")

    table: RateTable = {}
    for row in rows[1:]:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        day = _parse_day(cells[0])
        if day in table:
            raise RateFileError(f"{day} appears twice")
        if any(cells[len(columns) :]):
            raise RateFileError(f"{day} has more values than the header currencies")
        rates = {}
        for index, code in enumerate(currencies, start=1):
            value = cells[index] if index < len(cells) else ""
            # The historical CSV writes N/A where the ECB published no rate,
            # e.g. for currencies that have since joined the euro.
            if value == "N/A":
                continue
            rates[code] = _parse_rate(value, day, code)
        table[day] = rates
    return table


def _parse_day(text: str | None) -> date:
    text = (text or "").strip()
    try:
        if ISO_DAY.fullmatch(text):
            return date.fromisoformat(text)
        match = LONG_DAY.fullmatch(text)
        if match and match[2].lower() in MONTHS:
            month = MONTHS.index(match[2].lower()) + 1
            return date(int(match[3]), month, int(match[1]))
    except ValueError:
        pass
    raise RateFileError(f"malformed date {text[:40]!r}")


def _parse_currency(text: str | None, day: date | None = None) -> str:
    code = (text or "").strip()
    where = f" on {day}" if day else ""
    if not CURRENCY.fullmatch(code):
        raise RateFileError(f"malformed currency code {code[:40]!r}{where}")
    if code == "EUR":
        raise RateFileError(f"a rate for EUR itself{where}")
    return code


def _parse_rate(text: str | None, day: date, code: str) -> Decimal:
    text = (text or "").strip()
    if not text:
        raise RateFileError(f"no rate for {code} on {day}")
    if not RATE.fullmatch(text):
        raise RateFileError(f"malformed rate {text[:40]!r} for {code} on {day}")
    rate = Decimal(text)
    if rate <= 0:
        raise RateFileError(f"rate {text} for {code} on {day} is not positive")
    if rate >= MAX_RATE or rate.normalize().as_tuple().exponent < -MAX_DECIMALS:
        raise RateFileError(
            f"rate {text} for {code} on {day} has more than 10 digits"
            f" or {MAX_DECIMALS} decimals"
        )
    return rate


# --- Storing them ----------------------------------------------------------


def fx_rates_import(
    table: RateTable, *, source: str, replace: bool = False
) -> ImportSummary:
    """Store a file's rates all at once, or none of them.

    A rate already stored with the same value is left as is, so importing a
    file twice changes nothing. A different value for a stored day is
    refused unless ``replace``: gifts converted with the stored rate keep
    it, and the next gifts would silently get another one.
    """
    incoming = {
        (code, day): rate
        for day, rates in table.items()
        for code, rate in rates.items()
    }
    days = [day for day, rates in table.items() if rates]
    if not days:
        raise RateFileError("no rates in the file")
    # Every row of one import carries the same source and time.
    now = timezone.now()
    row = partial(FxRate, source=source, imported_at=now)

    try:
        with transaction.atomic():
            # Locked so a concurrent --replace waits for this import to end.
            stored = {
                (code, day): rate
                for code, day, rate in FxRate.objects.select_for_update()
                .filter(day__range=(min(days), max(days)))
                .values_list("currency", "day", "per_eur")
            }
            new, conflicts, unchanged = [], [], 0
            for (code, day), rate in sorted(incoming.items()):
                old = stored.get((code, day))
                if old is None:
                    new.append(row(currency=code, day=day, per_eur=rate))
                elif old == rate:
                    unchanged += 1
                else:
                    conflicts.append((code, day, old, rate))
            if conflicts and not replace:
                raise RateFileError(_conflict_message(conflicts))

            FxRate.objects.bulk_create(new, batch_size=1000)
            for code, day, old, rate in conflicts:
                FxRate.objects.filter(currency=code, day=day).update(
                    per_eur=rate, source=source, imported_at=now
                )
                logger.warning(
                    "ECB rate replaced: %s on %s, %s -> %s",
                    code, day, _plain(old), _plain(rate),
                    extra={"currency": code, "day": str(day), "source": source},
                )  # fmt: skip
    except IntegrityError:
        raise RateFileError(
            "another import stored some of these rates meanwhile; run it again"
        ) from None

    summary = ImportSummary(
        first_day=min(days),
        last_day=max(days),
        days=len(days),
        currencies=len({code for code, _ in incoming}),
        new=len(new),
        unchanged=unchanged,
        replaced=len(conflicts),
    )
    logger.info(
        "ECB rates imported from %s: %s",
        source,
        summary,
        extra={"source": source, "new": summary.new, "replaced": summary.replaced},
    )
    return summary


def _conflict_message(conflicts: list) -> str:
    shown = "; ".join(
        f"{code} on {day}: {_plain(old)} stored, {_plain(rate)} in the file"
        for code, day, old, rate in conflicts[:3]
    )
    more = f"; and {len(conflicts) - 3} more" if len(conflicts) > 3 else ""
    return (
        f"{_count(len(conflicts), 'rate')} "
        f"{'differs' if len(conflicts) == 1 else 'differ'} from those stored,"
        f" use --replace to overwrite them ({shown}{more})"
    )


# --- Using them ------------------------------------------------------------


def rate_on(currency: str, day: date, *, latest_known: bool = False) -> Decimal:
    """Units of ``currency`` for 1 EUR on ``day``, as the ECB published it.

    On a day without a publication (weekend, TARGET holiday) this is the
    last rate published within the 7 days before. A weekday counts as
    without a publication only once a later day is imported; until then
    its rate may simply not be out yet (the ECB publishes around 16:00
    CET), and using the previous day's would fix the wrong rate for good.
    With ``latest_known``, the last rate published on ``day`` or within
    the 7 days before is taken as is: the rate known when a card gift is
    paid, fixed for good at that moment (docs/currencies.md).
    Never falls back to 1: a missing rate raises ``MissingRate``.
    """
    code = currency.upper()
    if code == "EUR":
        return Decimal("1")

    found = (
        FxRate.objects.filter(
            currency=code, day__range=(day - timedelta(days=FALLBACK_DAYS), day)
        )
        .order_by("-day")
        .values_list("day", "per_eur")
        .first()
    )
    if found is None:
        raise MissingRate(
            f"no ECB rate for {code} on {day} or the {FALLBACK_DAYS} days before;"
            " import the rates first"
        )
    found_day, per_eur = found
    if latest_known:
        return per_eur
    if found_day < day and _may_still_be_published(code, found_day, day):
        raise MissingRate(
            f"no ECB rate for {code} on {day} yet; import that day's rates first"
        )
    return per_eur


def _may_still_be_published(code: str, found_day: date, day: date) -> bool:
    skipped = (
        found_day + timedelta(days=n) for n in range(1, (day - found_day).days + 1)
    )
    if all(skipped_day.weekday() >= 5 for skipped_day in skipped):
        return False
    return not FxRate.objects.filter(currency=code, day__gt=day).exists()


def to_eur(
    money: Money, day: date, *, latest_known: bool = False
) -> tuple[Money, Decimal]:
    """The euro value of ``money`` on ``day`` and the rate used (``per_eur``).

    ``day`` is the gift's tax date (``Gift.tax_date``): the day the money
    was received when staff recorded it, otherwise the Paris date of
    ``paid_at``. It is the date the receipt prints, so the receipt's euro
    amount and its date agree. Store both results on the gift
    (``amount_eur`` and ``fx_rate``) and never compute them again.

    The ECB's euro reference rate is a defensible choice for "the euro value
    on the date of the gift": a public, daily rate for every currency the
    foundation takes, which an auditor can check in the ECB's archive. It
    is a choice to confirm with the tax adviser and to record with the other
    documented choices in docs/receipts.md.

    The amount is rounded to cents half up (0.005 becomes 0.01).
    """
    rate = rate_on(str(money.currency), day, latest_known=latest_known)
    # Amounts have at most 12 digits and rates 18, so with 50 digits the
    # quotient is exact well past the cents and is rounded only once.
    with localcontext() as context:
        context.prec = 50
        euros = quantize(money.amount / rate, "EUR")
    return Money(euros, "EUR"), rate


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
