from django.core.management.base import CommandError

from campaigns.models import Campaign
from ledger.selectors import LedgerError
from ledger.services import ledger_close_year
from mecene.commands import FinanceCommand
from receipts.declaration import parse_year


class Command(FinanceCommand):
    help = (
        "Close one year of a campaign's scholarship ledger: freeze its figures "
        "and carry each surplus into the next year."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="the campaign's slug")
        parser.add_argument("--year", required=True, help="calendar year, e.g. 2025")

    def handle(self, *args, campaign, year, **options):
        try:
            year = parse_year(year)
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from None
        found = Campaign.objects.filter(slug=campaign).first()
        if found is None:
            raise CommandError(f"no campaign with slug {campaign!r}", returncode=2)
        try:
            closed = ledger_close_year(campaign_id=found.pk, year=year)
        except LedgerError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(
            f"{campaign} {year} closed: {closed.lines.count()} beneficiaries, "
            f"{closed.unallocated.amount} {closed.unallocated.currency} unallocated "
            f"carried into {year + 1}"
        )
