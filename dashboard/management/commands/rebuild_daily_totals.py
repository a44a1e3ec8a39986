from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from dashboard.services import daily_totals_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the dashboard's daily totals from the gifts, for existing "
        "data or after a repair. Safe to run again at any time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--campaign", metavar="SLUG", help="only this campaign (default: all)"
        )

    def handle(self, *args, campaign=None, **options):
        campaigns = Campaign.objects.order_by("pk")
        if campaign:
            campaigns = campaigns.filter(slug=campaign)
            if not campaigns.exists():
                raise CommandError(f"no campaign with the slug {campaign!r}")
        # One transaction per campaign, so a long rebuild holds one
        # campaign's payments at a time.
        for pk, slug in campaigns.values_list("pk", "slug"):
            rows = daily_totals_rebuild(pk)
            self.stdout.write(f"{slug}: {rows} daily rows")
