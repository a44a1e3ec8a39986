from decimal import Decimal

import pytest

from receipts.words import amount_framed_fr, amount_in_figures_fr, amount_in_words_fr

# U+202F NARROW NO-BREAK SPACE, the separator words.py documents.
NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1", "un euro"),
        ("0.01", "un centime"),
        ("0.5", "cinquante centimes"),
        ("2", "deux euros"),
        ("21", "vingt et un euros"),
        ("71", "soixante et onze euros"),
        ("80", "quatre-vingts euros"),
        ("81", "quatre-vingt-un euros"),
        ("91", "quatre-vingt-onze euros"),
        ("200", "deux cents euros"),
        ("201", "deux cent un euros"),
        ("1000", "mille euros"),
        ("80000", "quatre-vingt mille euros"),
        ("200000", "deux cent mille euros"),
        ("1000000", "un million d'euros"),
        ("2000000", "deux millions d'euros"),
        ("1500000", "un million cinq cent mille euros"),
        ("120.50", "cent vingt euros et cinquante centimes"),
        ("3000", "trois mille euros"),
        ("0", "zéro euro"),
    ],
)
def test_amount_is_spelt_with_traditional_french_rules(amount, words):
    given = Decimal(amount)

    result = amount_in_words_fr(given)

    assert result == words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1.01", "un euro et un centime"),
        ("2.02", "deux euros et deux centimes"),
        ("1000000.50", "un million d'euros et cinquante centimes"),
        ("1000000000", "un milliard d'euros"),
        ("200000000", "deux cents millions d'euros"),
        ("80000000", "quatre-vingts millions d'euros"),
    ],
)
def test_units_agree_with_euros_and_centimes_parts(amount, words):
    given = Decimal(amount)

    result = amount_in_words_fr(given)

    assert result == words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        # "et" in 21 to 71 only, never in 81 or 101.
        ("31", "trente et un euros"),
        ("61", "soixante et un euros"),
        ("101", "cent un euros"),
        # Plural "vingt"/"cent" only when final; bare before "mille".
        ("180", "cent quatre-vingts euros"),
        ("280", "deux cent quatre-vingts euros"),
        ("1080", "mille quatre-vingts euros"),
        ("81000", "quatre-vingt-un mille euros"),
        ("300000", "trois cent mille euros"),
        ("80080", "quatre-vingt mille quatre-vingts euros"),
        ("71000", "soixante et onze mille euros"),
        # "Mille" is invariable and takes no "un".
        ("2000", "deux mille euros"),
        ("1001", "mille un euros"),
        # Traditional hyphens: only between tens and units below one hundred.
        ("99", "quatre-vingt-dix-neuf euros"),
        ("777", "sept cent soixante-dix-sept euros"),
        (
            "1234567",
            "un million deux cent trente-quatre mille cinq cent soixante-sept euros",
        ),
    ],
)
def test_num2words_cardinals_follow_section_7_rules(amount, words):
    given = Decimal(amount)

    result = amount_in_words_fr(given)

    assert result == words


@pytest.mark.parametrize("amount", ["0.01", "0.99", "1", "80", "120.50", "1000000"])
def test_words_never_mention_zero_centimes(amount):
    given = Decimal(amount)

    result = amount_in_words_fr(given)

    assert "zéro centime" not in result


def test_trailing_zeros_beyond_cents_are_accepted():
    given = Decimal("15.000")

    result = amount_in_words_fr(given)

    assert result == "quinze euros"


@pytest.mark.parametrize("amount", [1.5, 80, True, "80"])
def test_non_decimal_amount_is_refused(amount):
    given = amount

    with pytest.raises(TypeError, match="must be a Decimal"):
        amount_in_words_fr(given)


def test_amount_with_three_decimal_places_is_refused():
    given = Decimal("2.675")

    with pytest.raises(ValueError, match="more than 2 decimal places"):
        amount_in_words_fr(given)


def test_negative_amount_is_refused():
    given = Decimal("-1")

    with pytest.raises(ValueError, match="negative"):
        amount_in_words_fr(given)


def test_infinite_amount_is_refused():
    given = Decimal("Infinity")

    with pytest.raises(ValueError, match="finite"):
        amount_in_words_fr(given)


@pytest.mark.parametrize(
    ("amount", "figures"),
    [
        ("0", "0,00"),
        ("0.5", "0,50"),
        ("120.50", "120,50"),
        ("999", "999,00"),
        ("1500", f"1{NNBSP}500,00"),
        ("1234567.89", f"1{NNBSP}234{NNBSP}567,89"),
    ],
)
def test_figures_use_decimal_comma_and_narrow_no_break_space(amount, figures):
    given = Decimal(amount)

    result = amount_in_figures_fr(given)

    assert result == figures


def test_framed_amount_is_wrapped_in_three_asterisks():
    given = Decimal("120.50")

    result = amount_framed_fr(given)

    assert result == "***120,50***"


def test_framed_amount_keeps_the_thousands_separator():
    given = Decimal("1500")

    result = amount_framed_fr(given)

    assert result == f"***1{NNBSP}500,00***"


def test_figures_refuse_a_float():
    given = 120.5

    with pytest.raises(TypeError):
        amount_in_figures_fr(given)
