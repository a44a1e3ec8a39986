"""Euro amounts spelt out and formatted the way a French tax receipt prints them.

Spelling follows the traditional rules (not the optional 1990 rectifications):
hyphens only below one hundred, "vingt"/"cent" plural only when multiplied and
final, "et" only in 21 to 71. See receipts-fr.md, section 7.
"""

from decimal import Decimal

from num2words import num2words

CENT = Decimal("0.01")

# U+202F NARROW NO-BREAK SPACE: the French typographic thousands separator, and
# what CLDR's "fr" locale emits, so our figures match those of other French
# software. It never breaks a number across two lines of the PDF.
THOUSANDS_SEPARATOR = "\u202f"

# Nouns, not adjectives: a number ending with one of them takes "d'" before the
# currency ("un million d'euros") while "un million cinq cent mille euros" does
# not.
_NOUNS_TAKING_DE = frozenset(
    {"million", "millions", "milliard", "milliards", "billion", "billions"}
)


def amount_in_words_fr(amount: Decimal) -> str:
    """Spell out a euro amount, e.g. "cent vingt euros et cinquante centimes".

    A zero cents part is omitted; a zero euros part is omitted when there are
    cents, so the result never contains "zéro centime".
    """
    euros, cents = _split_euros_cents(amount)

    if cents == 0:
        return _euros_in_words(euros)
    if euros == 0:
        return _centimes_in_words(cents)
    return f"{_euros_in_words(euros)} et {_centimes_in_words(cents)}"


def amount_in_figures_fr(amount: Decimal) -> str:
    """Format as "1 500,00": comma decimal, narrow no-break space thousands."""
    euros, cents = _split_euros_cents(amount)
    grouped = f"{euros:,}".replace(",", THOUSANDS_SEPARATOR)
    return f"{grouped},{cents:02d}"


def amount_framed_fr(amount: Decimal) -> str:
    """Format as "***120,50***".

    The asterisks stop anyone from writing digits before or after the figure;
    a computer-made receipt framed this way may even omit the words.
    """
    return f"***{amount_in_figures_fr(amount)}***"


def _split_euros_cents(amount: Decimal) -> tuple[int, int]:
    # A float has already lost cents (2.675 is stored as 2.67499...), and
    # num2words reads a bare int as cents, so only Decimal is trusted.
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"amount must be a finite number, not {amount}")
    if amount < 0:
        raise ValueError(f"amount must not be negative, got {amount}")

    # Trailing zeros ("15.000", as Decimal arithmetic produces) are accepted;
    # a sub-cent digit is refused because rounding it would change what the
    # receipt certifies.
    in_cents = amount / CENT
    if in_cents != in_cents.to_integral_value():
        raise ValueError(f"amount has more than 2 decimal places: {amount}")

    return divmod(int(in_cents), 100)


def _cardinal(number: int) -> str:
    # num2words' cardinals follow the traditional rules (checked by the tests
    # on every rule of section 7); its currency mode is not used because it
    # reads ints as cents, prints "zéro centimes" and drops the "d'" after
    # "million".
    return num2words(number, lang="fr")


def _euros_in_words(euros: int) -> str:
    words = _cardinal(euros)
    if words.rsplit(" ", 1)[-1] in _NOUNS_TAKING_DE:
        return f"{words} d'euros"
    # French keeps the singular below two: "zéro euro", "un euro".
    unit = "euros" if euros >= 2 else "euro"
    return f"{words} {unit}"


def _centimes_in_words(cents: int) -> str:
    unit = "centimes" if cents >= 2 else "centime"
    return f"{_cardinal(cents)} {unit}"
