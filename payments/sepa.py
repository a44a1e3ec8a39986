"""SEPA Direct Debit: which accounts qualify, and the mandate the donor accepts."""

from django.conf import settings
from django.utils.translation import gettext
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as IbanInvalid

# Countries and territories of the SEPA scheme (ISO codes as IBANs start).
SEPA_COUNTRIES = frozenset(
    "AD AT BE BG CH CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LI LT LU LV "
    "MC MT NL NO PL PT RO SE SI SK SM VA".split()
    + ["AX", "BL", "GF", "GP", "MF", "MQ", "PM", "RE", "YT"]
)


def iban_error(iban: str) -> str:
    """Why ``iban`` (already without spaces) cannot be debited, or ""."""
    try:
        stdnum_iban.validate(iban)
    except IbanInvalid:
        return gettext("This IBAN is not valid: check it against your bank details.")
    if iban[:2] not in SEPA_COUNTRIES:
        return gettext("This account is not in the SEPA area; please give by card.")
    return ""


def mandate_text() -> str:
    """The mandate wording, in the active language, as the donor reads it."""
    return gettext(
        "By giving your IBAN and confirming this gift, you authorise "
        "%(foundation)s and Stripe, the payment service it uses, to send "
        "instructions to your bank to debit your account, and your bank to "
        "debit it accordingly. For a monthly gift, the authorisation covers "
        "each month's payment until you stop it. You may ask your bank to "
        "refund a debit within eight weeks of the day it was taken, under "
        "the terms of your agreement with your bank."
    ) % {"foundation": settings.FOUNDATION["name"]}
