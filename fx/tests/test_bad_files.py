"""import_fx_rates refuses a bad file with one line, and imports none of it."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError
from django.utils import timezone

from fx import rates
from fx.models import FxRate
from fx.tests.conftest import import_rates

pytestmark = pytest.mark.django_db

XML = "eurofxref-hist-90d.xml"
CSV = "eurofxref-hist.csv"


def refusal(path) -> str:
    """The one-line error import_fx_rates gives for ``path``."""
    with pytest.raises(CommandError) as refused:
        import_rates(path)
    return str(refused.value)


def test_missing_file_is_refused(tmp_path):
    # given
    path = tmp_path / "missing.xml"

    # when
    message = refusal(path)

    # then
    assert message == f"{path}: no such file; nothing imported"
    assert FxRate.objects.count() == 0


def test_folder_is_refused(tmp_path):
    assert refusal(tmp_path) == f"{tmp_path}: not a regular file; nothing imported"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"USD": 1.0812}', "neither the ECB's XML nor its CSV"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "neither the ECB's XML nor its CSV"),
        (b"", "neither the ECB's XML nor its CSV"),
        (b"<html><body>Rates</body></html>", "XML but not an ECB gesmes:Envelope"),
        (b"<gesmes:Envelope", "malformed XML"),
        (b"Date;USD;CZK\n2026-12-03;1,0812;25,125\n", "the CSV header does not"),
        (b"Date, USD, CZK, \n", "no rates in the file"),
        (b"Date, USD, \n2026-12-03, 1.08\xff, \n", "not a readable CSV file"),
        (b"Date, USD, CZK, USD, \n", "a currency appears twice in the CSV header"),
    ],
    ids=[
        "json",
        "pdf",
        "empty",
        "html",
        "truncated-xml",
        "semicolon-csv",
        "header-only",
        "not-utf-8",
        "currency-twice",
    ],
)
def test_file_that_is_not_an_ecb_file_is_refused(tmp_path, content, reason):
    # given
    path = tmp_path / "eurofxref.xml"
    path.write_bytes(content)

    # when
    message = refusal(path)

    # then
    assert message.startswith(f"{path}: {reason}")
    assert message.endswith("; nothing imported")
    assert FxRate.objects.count() == 0


# Each case breaks Tuesday 1 December, after two good days in the file, so a
# refusal also shows that the good days before it were not kept.
@pytest.mark.parametrize(
    ("name", "old", "new", "reason"),
    [
        (XML, "'2026-12-01'", "'2026-12-32'", "malformed date '2026-12-32'"),
        (XML, "'2026-12-01'", "'01/12/2026'", "malformed date '01/12/2026'"),
        (CSV, "2026-12-01,", "2026-13-01,", "malformed date '2026-13-01'"),
        (CSV, "2026-12-01,", "1 Dezember 2026,", "malformed date '1 Dezember 2026'"),
        (XML, "currency='CZK' rate='25.118'", "currency='CZK'", "no rate for CZK on 2026-12-01"),
        (XML, "rate='25.118'", "rate=''", "no rate for CZK on 2026-12-01"),
        (CSV, ",25.118,", ",,", "no rate for CZK on 2026-12-01"),
        (CSV, ",0.84302,4.2746,", ",0.84302", "no rate for PLN on 2026-12-01"),
        (XML, "rate='25.118'", "rate='25.1x8'", "malformed rate '25.1x8' for CZK on 2026-12-01"),
        (CSV, ",4.2746,", ",4.27 46,", "malformed rate '4.27 46' for PLN on 2026-12-01"),
        (CSV, ",7.4605,", ",NaN,", "malformed rate 'NaN' for DKK on 2026-12-01"),
        (XML, "rate='25.118'", "rate='-25.118'", "rate -25.118 for CZK on 2026-12-01 is not positive"),
        (CSV, ",7.4605,", ",0.0000,", "rate 0.0000 for DKK on 2026-12-01 is not positive"),
        (XML, "rate='25.118'", "rate='25.123456789'", "rate 25.123456789 for CZK on 2026-12-01 has more than 10 digits or 8 decimals"),
        (XML, "currency='CZK' rate='25.118'", "currency='Kč' rate='25.118'", "malformed currency code 'Kč' on 2026-12-01"),
        (XML, "currency='CZK' rate='25.118'", "currency='EUR' rate='1'", "a rate for EUR itself on 2026-12-01"),
        (XML, "'2026-12-01'", "'2026-12-02'", "2026-12-02 appears twice"),
        (CSV, "2026-12-01,", "2026-12-02,", "2026-12-02 appears twice"),
        (XML, "currency='CZK' rate='25.118'", "currency='USD' rate='1.08'", "USD appears twice on 2026-12-01"),
        (CSV, ",4.2746,", ",4.2746,9.99,", "2026-12-01 has more values than the header currencies"),
    ],
    ids=[
        "xml-day-32", "xml-french-date", "csv-month-13", "csv-german-month",
        "xml-rate-attribute-missing", "xml-rate-empty", "csv-cell-empty",
        "csv-row-cut-short", "xml-rate-letter", "csv-rate-space", "csv-rate-nan",
        "xml-negative", "csv-zero", "xml-too-many-decimals", "xml-bad-code",
        "xml-eur", "xml-day-twice", "csv-day-twice", "xml-currency-twice",
        "csv-extra-value",
    ],
)  # fmt: skip
def test_bad_day_or_value_is_refused_naming_it(edited_sample, name, old, new, reason):
    # given
    path = edited_sample(name, old, new)

    # when
    message = refusal(path)

    # then
    assert message == f"{path}: {reason}; nothing imported"
    assert FxRate.objects.count() == 0


def test_rates_dated_after_today_in_paris_are_refused(edited_sample):
    # given a file whose newest day is tomorrow
    tomorrow = timezone.localdate() + timedelta(days=1)
    path = edited_sample(XML, "'2026-12-03'", f"'{tomorrow}'")

    # when
    message = refusal(path)

    # then
    assert (
        message == f"{path}: rates dated {tomorrow} are in the future; nothing imported"
    )
    assert FxRate.objects.count() == 0


def test_xml_declaring_entities_is_refused_before_any_is_expanded(tmp_path):
    # given an external entity that would read a local file
    path = tmp_path / "eurofxref.xml"
    path.write_text(
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE e [<!ENTITY secret SYSTEM "file:///etc/hostname">]>\n'
        '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01">'
        "&secret;</gesmes:Envelope>\n"
    )

    # when
    message = refusal(path)

    # then
    assert message == f"{path}: XML with a DOCTYPE is refused; nothing imported"


def test_file_over_the_size_cap_is_refused_unread(sample, monkeypatch):
    # given a cap one byte smaller than the sample
    path = sample(XML)
    monkeypatch.setattr(rates, "MAX_FILE_BYTES", path.stat().st_size - 1)

    # when
    message = refusal(path)

    # then
    assert message.startswith(f"{path}: larger than")
    assert FxRate.objects.count() == 0


def test_command_line_exits_non_zero_with_one_line_and_no_traceback(tmp_path):
    # given a folder without missing.xml, and the test database
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
    }

    # when
    result = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "import_fx_rates",
         "missing.xml"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )  # fmt: skip

    # then
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "CommandError: missing.xml: no such file; nothing imported"
    ]
