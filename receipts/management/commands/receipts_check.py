"""Check one year's series of receipts: numbering and stored PDFs.

The series must be gap-free and every receipt, cancelled ones included, keeps
the PDF it was issued with (receipts-fr.md, checklist 5-8). Numbers are
guarded by unique constraints, but a sequence moved by hand, a receipt row
restored from a backup or a PDF edited on disk pass every constraint; this
finds them.
"""

from django.core.management.base import CommandError

from mecene.commands import FinanceCommand
from receipts.declaration import parse_year
from receipts.integrity import receipt_series_check

# Problems named in the one-line error; the rest are counted (all of them are
# printed one per line with --verbosity 2).
SHOWN = 20


class Command(FinanceCommand):
    help = (
        "Check a year's series of receipts: gaps, duplicates, the sequence, "
        "and that each stored PDF exists and matches its SHA-256."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, help="series year, e.g. 2026")

    def handle(self, *args, year, verbosity, **options):
        try:
            year = parse_year(year)
        except ValueError as exc:
            raise CommandError(str(exc)) from None

        check = receipt_series_check(year)

        self.stdout.write(check.summary())
        if not check.problems:
            return
        if verbosity >= 2:
            for problem in check.problems:
                self.stdout.write(problem)
        shown = "; ".join(check.problems[:SHOWN])
        more = len(check.problems) - SHOWN
        if more > 0:
            shown += f"; and {more} more (--verbosity 2 lists them)"
        raise CommandError(f"receipts of {year}: {shown}")
