import sys
from pathlib import Path

from django.core.management.base import CommandError

from finance.exports import ExportError, parse_format, parse_year, write_csv
from mecene.commands import FinanceCommand


class Command(FinanceCommand):
    help = "Export one calendar year's gifts (Paris time) for finance."

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, help="calendar year, e.g. 2026")
        parser.add_argument("--format", default="csv", help="csv")
        parser.add_argument("--output", default="-", help="file to write, - for stdout")

    def handle(self, *args, year, format, output, **options):
        try:
            year = parse_year(year)
            parse_format(format)
        except ExportError as exc:
            raise CommandError(str(exc)) from None

        if output == "-":
            count = write_csv(year, sys.stdout)
        else:
            path = Path(output)
            if path.is_symlink() or (path.exists() and not path.is_file()):
                # Renaming over a device, a pipe or a link would replace it.
                raise CommandError(f"cannot write to {output}: not a regular file")
            if not path.parent.is_dir():
                raise CommandError(f"cannot write to {output}: no such folder")
            # Written beside the target and renamed, so a failed export never
            # leaves a half file that looks complete.
            partial = path.with_name(path.name + ".partial")
            try:
                with partial.open("w", newline="", encoding="utf-8") as stream:
                    count = write_csv(year, stream)
                partial.replace(path)
            except OSError as exc:
                partial.unlink(missing_ok=True)
                raise CommandError(
                    f"cannot write to {output}: {exc.strerror}"
                ) from None
        self.stderr.write(f"{count} gifts exported for {year}")
