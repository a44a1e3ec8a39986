"""Integrity of a year's receipt series: numbering and stored PDFs.

The series must be gap-free and every receipt, cancelled ones included, keeps
the PDF it was issued with (receipts-fr.md, checklist 5-8). Numbers are
guarded by unique constraints, but a sequence moved by hand, a receipt row
restored from a backup or a PDF edited on disk pass every constraint; this
finds them. Used by the receipts_check command and the nightly check task.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from receipts.models import Receipt, ReceiptSequence


@dataclass
class SeriesCheck:
    year: int
    receipts: int = 0
    cancelled: int = 0
    last_number: int | None = None
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        sequence = "none" if self.last_number is None else self.last_number
        state = "clean" if not self.problems else f"{len(self.problems)} problems"
        return (
            f"{self.year}: {self.receipts} receipts ({self.cancelled} cancelled), "
            f"sequence at {sequence}: {state}"
        )


def receipt_series_check(year: int) -> SeriesCheck:
    """Gaps, duplicates, misformatted numbers, and missing or altered PDFs."""
    check = SeriesCheck(year=year)
    sequence = ReceiptSequence.objects.filter(year=year).first()
    check.last_number = sequence.last_number if sequence else None
    rows = (
        Receipt.objects.filter(year=year)
        .order_by("sequence_number", "pk")
        .only("number", "year", "sequence_number", "status", "pdf", "pdf_sha256")
    )

    seen: Counter[int] = Counter()
    for receipt in rows.iterator(chunk_size=500):
        check.receipts += 1
        if receipt.status == Receipt.Status.CANCELLED:
            check.cancelled += 1
        seen[receipt.sequence_number] += 1
        expected = f"{year}-{receipt.sequence_number:06d}"
        if receipt.number != expected:
            check.problems.append(f"{receipt.number}: number should be {expected}")
        if problem := _pdf_problem(receipt):
            check.problems.append(f"{receipt.number}: {problem}")

    check.problems += [
        f"{year}-{number:06d}: used by {count} receipts"
        for number, count in sorted(seen.items())
        if count > 1
    ]
    highest = max(seen, default=0)
    missing = sorted(set(range(1, highest + 1)) - set(seen))
    if missing:
        check.problems.append(f"gap: no receipt numbered {_ranges(year, missing)}")
    if check.last_number is None:
        if seen:
            check.problems.append(f"no sequence row for {year}")
    elif check.last_number > highest:
        # Taken and committed without a receipt: a gap at the end.
        taken = list(range(highest + 1, check.last_number + 1))
        check.problems.append(
            f"gap: sequence at {check.last_number} but no receipt numbered "
            f"{_ranges(year, taken)}"
        )
    elif check.last_number < highest:
        # The next issue would take a number already printed on a receipt.
        check.problems.append(
            f"sequence at {check.last_number} is behind the highest receipt "
            f"{year}-{highest:06d}"
        )
    return check


def _pdf_problem(receipt: Receipt) -> str | None:
    if not receipt.pdf.name or not receipt.pdf.storage.exists(receipt.pdf.name):
        return "PDF file missing"
    digest = hashlib.sha256()
    with receipt.pdf.storage.open(receipt.pdf.name, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    if digest.hexdigest() != receipt.pdf_sha256:
        return "PDF SHA-256 does not match the one stored at issue"
    return None


def _ranges(year: int, numbers: list[int]) -> str:
    """``[3, 4, 5, 9]`` as "2026-000003 to 2026-000005, 2026-000009"."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(
        f"{year}-{first:06d}" + (f" to {year}-{last:06d}" if last != first else "")
        for first, last in spans
    )


class StoredPdfProblem(ValueError):
    """The stored PDF of a receipt is missing or no longer the one issued."""


def receipt_read_pdf(receipt: Receipt) -> bytes:
    """The receipt's stored PDF, checked against the hash taken at issue.

    A copy handed to anyone must be the document that was issued: a missing
    or altered file is refused with the reason, for a person to look into.
    """
    try:
        with receipt.pdf.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, ValueError):
        raise StoredPdfProblem(
            f"the PDF of receipt {receipt.number} is missing"
        ) from None
    if hashlib.sha256(data).hexdigest() != receipt.pdf_sha256:
        raise StoredPdfProblem(
            f"the PDF of receipt {receipt.number} no longer matches the one issued"
        )
    return data
