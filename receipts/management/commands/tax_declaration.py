"""Figures for the yearly declaration of gifts receipted (art. 222 bis CGI).

The counting rules (cancelled receipts out, replacements in, duplicates never
counted) are in ``receipts.declaration``.
"""

import json

from django.core.management.base import CommandError

from mecene.commands import FinanceCommand
from receipts.declaration import parse_year, tax_declaration_for_year

FORMATS = ("text", "json")


class Command(FinanceCommand):
    help = (
        "Total of gifts on receipts and number of receipts issued for gifts "
        "received in a calendar year (Paris time), for the 222 bis declaration."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, help="calendar year, e.g. 2026")
        parser.add_argument("--format", default="text", help="text or json")

    def handle(self, *args, year, format, **options):
        try:
            year = parse_year(year)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if format not in FORMATS:
            raise CommandError(
                f"format must be one of {', '.join(FORMATS)}, not {format!r}"
            )

        try:
            declaration = tax_declaration_for_year(year)
        except ValueError as exc:
            raise CommandError(str(exc)) from None

        if format == "json":
            self.stdout.write(json.dumps(declaration.to_dict()))
            return
        self.stdout.write(
            f"{declaration.year}: {declaration.receipts} receipts issued, "
            f"total {declaration.total_eur} EUR "
            f"({declaration.cancelled_excluded} cancelled receipts excluded)"
        )
