from pathlib import Path

from django.core.management.base import CommandError

from finance.export_forms import ExportForm
from finance.export_writers import write_csv, write_rows
from mecene.commands import FinanceCommand

# A bad filter, like a bad flag, is one line and exit code 2 (mecene.commands).
BAD_INPUT = 2


class Command(FinanceCommand):
    help = (
        "Export gifts, donors, receipts or accounting entries of one year as CSV "
        "or XLSX (docs/exports.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="gifts, donors, receipts, accounting, …")
        parser.add_argument("--year", required=True, help="calendar year, e.g. 2026")
        parser.add_argument("--campaign", default="", help="campaign slug")
        parser.add_argument("--status", default="", help="e.g. paid, refunded")
        parser.add_argument("--method", default="", help="card, sepa, transfer, …")
        parser.add_argument("--format", default="csv", help="csv or xlsx")
        parser.add_argument(
            "--separator", default=";", help="CSV separator: ; (default) or ,"
        )
        parser.add_argument(
            "--output", default="-", help="file to write, - for stdout (CSV only)"
        )

    def handle(self, *args, dataset, output, **options):
        data = {"dataset": dataset}
        for key in ("year", "campaign", "status", "method", "format", "separator"):
            if options[key] not in ("", None):
                data[key] = options[key]
        form = ExportForm(data)
        if not form.is_valid():
            raise CommandError(form.error_line(), returncode=BAD_INPUT)
        chosen, filters = form.chosen_dataset, form.filters
        fmt, separator = form.cleaned_data["format"], form.cleaned_data["separator"]
        if output == "-" and fmt == "xlsx":
            raise CommandError("xlsx needs --output FILE", returncode=BAD_INPUT)

        if output == "-":
            # CSV lines end in "\r\n", so the wrapper adds no newline of its own.
            count = write_csv(
                self.stdout, chosen.header, chosen.rows(filters), separator=separator
            )
        else:
            count = self._write_file(output, fmt, chosen, filters, separator)
        self.stderr.write(f"{count} rows exported ({chosen.name}, {filters.year})")

    def _write_file(self, output, fmt, chosen, filters, separator) -> int:
        path = Path(output)
        if path.is_symlink() or (path.exists() and not path.is_file()):
            # Renaming over a device, a pipe or a link would replace it.
            raise CommandError(
                f"cannot write to {output}: not a regular file", returncode=BAD_INPUT
            )
        if not path.parent.is_dir():
            raise CommandError(
                f"cannot write to {output}: no such folder", returncode=BAD_INPUT
            )
        # Written beside the target and renamed, so a failed export never
        # leaves a half file that looks complete.
        partial = path.with_name(path.name + ".partial")
        try:
            count = write_rows(
                partial,
                fmt,
                chosen.header,
                chosen.rows(filters),
                separator=separator,
                title=str(chosen.label),
            )
            partial.replace(path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"cannot write to {output}: {exc.strerror}") from None
        return count
