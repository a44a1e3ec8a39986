from django.core.management.base import CommandError

from mecene.commands import FinanceCommand
from receipts.annual import (
    AnnualRunRefused,
    annual_candidates,
    annual_check_year,
    receipt_issue_annual,
)
from receipts.declaration import parse_year
from receipts.services import ReceiptRefused


class Command(FinanceCommand):
    help = "Issue the annual summary receipts of a calendar year that is over."

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, help="calendar year, e.g. 2026")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="say what would be issued; issue nothing",
        )

    def handle(self, *args, year, dry_run, **options):
        try:
            year = parse_year(year)
            annual_check_year(year)
        except (AnnualRunRefused, ValueError) as exc:
            raise CommandError(str(exc)) from None

        candidates = list(annual_candidates(year))
        if dry_run:
            total = sum((c.total for c in candidates), 0)
            self.stdout.write(
                f"{len(candidates)} annual receipts would be issued for {year} "
                f"({sum(c.gifts for c in candidates)} gifts, {total:.2f} EUR)"
            )
            return

        issued, refused = 0, []
        for candidate in candidates:
            try:
                if receipt_issue_annual(candidate.donor_id, year):
                    issued += 1
            except ReceiptRefused as exc:
                refused.append(str(exc))
        self.stdout.write(f"{issued} annual receipts issued for {year}")
        if refused:
            raise CommandError(
                f"{len(refused)} donors need attention before their receipt: "
                + " | ".join(refused)
            )
