"""Identifiers printed on receipts: SIREN (INSEE) and RNA (associations)."""

import re

SIREN_RE = re.compile(r"^\d{9}$")
RNA_RE = re.compile(r"^W\d{9}$")


def siren_is_valid(value: str) -> bool:
    """Nine digits whose Luhn checksum is right (INSEE's rule for SIREN)."""
    if not SIREN_RE.match(value or ""):
        return False
    total = 0
    for index, char in enumerate(reversed(value)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def rna_is_valid(value: str) -> bool:
    """W followed by nine digits, the form of a répertoire national number."""
    return bool(RNA_RE.match(value or ""))
