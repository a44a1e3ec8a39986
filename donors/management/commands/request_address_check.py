from django.core.management.base import CommandError
from django.utils import timezone

from donors.address_check import address_check_run, address_check_year
from mecene.commands import FinanceCommand
from receipts.declaration import parse_year


class Command(FinanceCommand):
    help = (
        "Email donors who will get an annual summary a request to check their "
        "postal address; once per donor and tax year, so safe to rerun."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            help="tax year of the coming summaries (default: this year, or last "
            "year in January)",
        )

    def handle(self, *args, year, **options):
        if year is None:
            year = address_check_year()
        else:
            try:
                year = parse_year(year)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            if year > timezone.localdate().year:
                raise CommandError(f"{year} has not started: no gifts to check yet")

        result = address_check_run(year)
        self.stdout.write(
            f"{result['sent']} address checks emailed for {year} "
            f"({result['skipped']} donors already asked or answered)"
        )
