from pathlib import Path

from django.core.management.base import CommandError

from fx import rates
from fx.rates import RateFileError, fx_rates_import, fx_rates_parse
from mecene.commands import FinanceCommand


class Command(FinanceCommand):
    help = (
        "Import the ECB's euro reference rates from one of its files (daily,"
        " 90-day or historical; XML or CSV). All of the file or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="eurofxref*.xml or eurofxref*.csv")
        parser.add_argument(
            "--replace",
            action="store_true",
            help=(
                "overwrite stored rates the file gives differently; gifts"
                " already converted keep the rate they stored"
            ),
        )

    def handle(self, *args, file, replace, **options):
        path = Path(file)
        try:
            table = fx_rates_parse(read_rate_file(path))
            summary = fx_rates_import(table, source=f"ECB {path.name}", replace=replace)
        except RateFileError as exc:
            raise CommandError(f"{file}: {exc}; nothing imported") from None
        self.stdout.write(f"{file}: {summary}")


def read_rate_file(path: Path) -> bytes:
    if not path.exists():
        raise RateFileError("no such file")
    if not path.is_file():
        # Reading a pipe or a device could block or never end.
        raise RateFileError("not a regular file")
    try:
        with path.open("rb") as stream:
            # One byte over the cap is enough to refuse the file unread.
            return stream.read(rates.MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise RateFileError(f"cannot read it: {exc.strerror}") from None
