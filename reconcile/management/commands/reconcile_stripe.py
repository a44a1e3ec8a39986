import argparse

from django.core.management.base import CommandError

from mecene.commands import FinanceCommand
from payments.gateway import GatewayError
from reconcile.services import (
    ReconciliationRefused,
    check_period,
    parse_day,
    reconciliation_run,
    reconciliation_start,
)


def _day(text):
    try:
        return parse_day(text)
    except ReconciliationRefused as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Command(FinanceCommand):
    help = (
        "Match Stripe's balance transactions and payouts of some Paris days to "
        "gifts and refunds; store fees and nets; list what does not match."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since", required=True, type=_day, help="first day, YYYY-MM-DD"
        )
        parser.add_argument(
            "--until", type=_day, help="last day, YYYY-MM-DD (default: today)"
        )

    def handle(self, *args, since, until, **options):
        try:
            # call_command passes optional flags as given, unparsed.
            since, until = (
                parse_day(day) if isinstance(day, str) else day
                for day in (since, until)
            )
            # Checked before anything is written: a refused period leaves
            # no run behind.
            check_period(since, until)
        except ReconciliationRefused as exc:
            # The same answer as a malformed flag (FinanceCommand).
            raise CommandError(str(exc), returncode=2) from None
        try:
            run = reconciliation_start(since=since, until=until)
        except ReconciliationRefused as exc:
            raise CommandError(str(exc)) from None
        try:
            run = reconciliation_run(run.pk)
        except GatewayError as exc:
            raise CommandError(
                f"reconciliation #{run.pk} stopped: Stripe could not be read "
                f"({type(exc).__name__})"
            ) from None

        self.stdout.write(
            f"reconciliation #{run.pk} {run.since} to {run.until}: "
            f"{run.transaction_count} transactions, {run.matched_count} matched, "
            f"{run.payout_count} payouts, {run.mismatch_count} mismatches"
        )
