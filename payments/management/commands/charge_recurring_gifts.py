from datetime import date, timedelta

from django.core.management.base import CommandError
from django.db.models import Count, Sum
from django.utils import timezone

from mecene.commands import FinanceCommand
from payments.models import RecurringGift
from payments.recurring import due_plan_ids, recurring_charge_due


def parse_day(value: str, *, dry_run: bool) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--date must be a date as YYYY-MM-DD, not {value!r}"
        ) from None
    today = timezone.localdate()
    if day > today and not dry_run:
        # Charging a day in advance would take the donors' money early; a
        # dry run may look ahead.
        raise CommandError(f"--date {day} is in the future; nothing was charged")
    if day < today - timedelta(days=366):
        raise CommandError(f"--date {day} is more than a year ago; nothing was charged")
    return day


class Command(FinanceCommand):
    help = (
        "Charge the monthly gifts due on a day (today by default). Safe to run "
        "again or twice at once: a month is never charged twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", help="the day to charge for, YYYY-MM-DD (a missed day)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="list what is due; charge nothing"
        )

    def handle(self, *args, date=None, dry_run=False, **options):
        day = (
            parse_day(date, dry_run=dry_run)
            if date is not None
            else timezone.localdate()
        )
        if dry_run:
            ids = due_plan_ids(day)
            totals = (
                RecurringGift.objects.filter(pk__in=ids)
                .values("amount_currency")
                .annotate(count=Count("pk"), total=Sum("amount"))
                .order_by("amount_currency")
            )
            self.stdout.write(f"{len(ids)} monthly gifts due on {day}")
            for row in totals:
                self.stdout.write(
                    f"  {row['count']} in {row['amount_currency']}: "
                    f"{row['total']:.2f} {row['amount_currency']}"
                )
            return
        run = recurring_charge_due(day)
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(run.outcomes.items()))
        self.stdout.write(
            f"{run.due} monthly gifts due on {day}: {outcomes or 'nothing to do'}; "
            f"{run.expiry_notices} card expiry notices"
        )
        if run.outcomes.get("unavailable"):
            raise CommandError(
                f"Stripe did not answer for {run.outcomes['unavailable']} gifts; "
                "they stay due and the next run retries them"
            )
