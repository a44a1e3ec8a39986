"""import_fx_rates: the ECB's XML and CSV files, stored once, never moved
silently."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError

from fx.models import FxRate
from fx.rates import RateFileError, fx_rates_import
from fx.tests.conftest import import_rates, stored

pytestmark = pytest.mark.django_db


def test_daily_xml_stores_each_currency_of_its_day(sample):
    # given the ECB's daily XML of Thursday 3 December 2026

    # when
    output = import_rates(sample("eurofxref-daily.xml"))

    # then
    assert stored() == {
        ("USD", "2026-12-03"): Decimal("1.0812"),
        ("JPY", "2026-12-03"): Decimal("162.84"),
        ("CZK", "2026-12-03"): Decimal("25.125"),
        ("DKK", "2026-12-03"): Decimal("7.4612"),
        ("GBP", "2026-12-03"): Decimal("0.84281"),
        ("PLN", "2026-12-03"): Decimal("4.2710"),
    }
    assert output.endswith(
        "eurofxref-daily.xml: 1 day (2026-12-03), 6 currencies, 6 rates:"
        " 6 new, 0 unchanged, 0 replaced\n"
    )


def test_ninety_day_xml_stores_every_day_it_lists(sample):
    # given the 90-day XML, five working days around a weekend

    # when
    output = import_rates(sample("eurofxref-hist-90d.xml"))

    # then
    assert FxRate.objects.count() == 30
    assert sorted({day for _, day in stored()}) == [
        "2026-11-27",
        "2026-11-30",
        "2026-12-01",
        "2026-12-02",
        "2026-12-03",
    ]
    assert stored()[("PLN", "2026-11-27")] == Decimal("4.2815")
    assert "5 days (2026-11-27 to 2026-12-03), 6 currencies, 30 rates" in output
    assert FxRate.objects.filter(source="ECB eurofxref-hist-90d.xml").count() == 30


def test_daily_csv_with_its_long_date_and_trailing_comma_stores_its_day(sample):
    # given eurofxref.csv: "03 December 2026", spaces and a trailing ", "

    # when
    import_rates(sample("eurofxref.csv"))

    # then
    assert stored() == {
        ("USD", "2026-12-03"): Decimal("1.0812"),
        ("JPY", "2026-12-03"): Decimal("162.84"),
        ("CZK", "2026-12-03"): Decimal("25.125"),
        ("DKK", "2026-12-03"): Decimal("7.4612"),
        ("GBP", "2026-12-03"): Decimal("0.84281"),
        ("PLN", "2026-12-03"): Decimal("4.2710"),
    }


def test_historical_csv_stores_every_row_and_skips_not_available_values(sample):
    # given eurofxref-hist.csv, where CYP (now in the euro) is N/A every day

    # when
    output = import_rates(sample("eurofxref-hist.csv"))

    # then
    assert FxRate.objects.count() == 30
    assert not FxRate.objects.filter(currency="CYP").exists()
    assert stored()[("DKK", "2026-11-30")] == Decimal("7.4601")
    assert "5 days (2026-11-27 to 2026-12-03), 6 currencies, 30 rates" in output


def test_xml_and_csv_of_the_same_days_store_the_same_rates(sample):
    # given the historical CSV imported
    import_rates(sample("eurofxref-hist.csv"))
    before = stored()

    # when the 90-day XML of the same days follows
    output = import_rates(sample("eurofxref-hist-90d.xml"))

    # then
    assert stored() == before
    assert output.endswith("0 new, 30 unchanged, 0 replaced\n")


def test_reimporting_the_same_file_changes_nothing(sample):
    # given
    import_rates(sample("eurofxref-hist-90d.xml"))
    before = list(FxRate.objects.values_list("pk", "per_eur", "source", "imported_at"))

    # when
    output = import_rates(sample("eurofxref-hist-90d.xml"))

    # then
    after = list(FxRate.objects.values_list("pk", "per_eur", "source", "imported_at"))
    assert after == before
    assert output.endswith("30 rates: 0 new, 30 unchanged, 0 replaced\n")


def test_a_different_rate_for_a_stored_day_is_refused_and_nothing_imported(
    sample, edited_sample
):
    # given Thursday's daily file stored
    import_rates(sample("eurofxref-daily.xml"))
    # and a 90-day file that gives another CZK rate for that Thursday
    corrected = edited_sample(
        "eurofxref-hist-90d.xml", "rate='25.125'", "rate='25.200'"
    )

    # when
    with pytest.raises(CommandError) as refused:
        import_rates(corrected)

    # then the stored rate stays, and not even the new days are imported
    assert stored()[("CZK", "2026-12-03")] == Decimal("25.125")
    assert FxRate.objects.count() == 6
    assert str(refused.value) == (
        f"{corrected}: 1 rate differs from those stored, use --replace to overwrite"
        " them (CZK on 2026-12-03: 25.125 stored, 25.2 in the file);"
        " nothing imported"
    )


def test_replace_overwrites_a_different_rate_and_imports_the_rest(
    sample, edited_sample
):
    # given
    import_rates(sample("eurofxref-daily.xml"))
    corrected = edited_sample(
        "eurofxref-hist-90d.xml", "rate='25.125'", "rate='25.200'"
    )

    # when
    output = import_rates(corrected, "--replace")

    # then
    assert stored()[("CZK", "2026-12-03")] == Decimal("25.200")
    assert FxRate.objects.get(currency="CZK", day="2026-12-03").source == (
        "ECB eurofxref-hist-90d.xml"
    )
    assert FxRate.objects.count() == 30
    assert output.endswith("30 rates: 24 new, 5 unchanged, 1 replaced\n")


def test_replaced_rate_is_logged_with_both_values(sample, edited_sample, caplog):
    # given
    import_rates(sample("eurofxref-daily.xml"))
    corrected = edited_sample("eurofxref-daily.xml", "rate='4.2710'", "rate='4.2701'")

    # when
    with caplog.at_level("WARNING", logger="fx.rates"):
        import_rates(corrected, "--replace")

    # then
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "ECB rate replaced: PLN on 2026-12-03, 4.271 -> 4.2701"
    ]


def test_many_differing_rates_are_listed_three_then_counted(sample, edited_sample):
    # given Thursday stored, then a daily CSV giving five other rates
    import_rates(sample("eurofxref-daily.xml"))
    corrected = edited_sample(
        "eurofxref.csv",
        "1.0812, 162.84, 25.125, 7.4612, 0.84281",
        "1.0813, 162.85, 25.126, 7.4613, 0.84282",
    )

    # when
    with pytest.raises(CommandError) as refused:
        import_rates(corrected)

    # then
    assert "5 rates differ from those stored" in str(refused.value)
    assert "(CZK on 2026-12-03: 25.125 stored, 25.126 in the file; " in str(
        refused.value
    )
    assert str(refused.value).endswith("; and 2 more); nothing imported")
    assert stored()[("USD", "2026-12-03")] == Decimal("1.0812")


def test_rate_stored_meanwhile_by_another_import_fails_it_whole(sample, monkeypatch):
    # given another import that stores Thursday's CZK rate while this one runs
    bulk_create = FxRate.objects.bulk_create

    def racing_bulk_create(rows, **options):
        FxRate.objects.create(
            currency="CZK", day="2026-12-03", per_eur="25.125", source="other"
        )
        return bulk_create(rows, **options)

    monkeypatch.setattr(FxRate.objects, "bulk_create", racing_bulk_create)

    # when
    with pytest.raises(CommandError) as refused:
        import_rates(sample("eurofxref-daily.xml"))

    # then
    assert str(refused.value).endswith(
        "another import stored some of these rates meanwhile; run it again;"
        " nothing imported"
    )
    assert FxRate.objects.count() == 0


def test_import_of_a_table_without_rates_is_refused():
    with pytest.raises(RateFileError, match="no rates in the file"):
        fx_rates_import({date(2026, 12, 3): {}}, source="ECB empty.xml")
