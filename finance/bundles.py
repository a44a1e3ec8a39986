"""Receipt bundles: every receipt of a series year, or of one campaign in it,
as one ZIP with a CSV index, for the auditor.

Staff request a bundle; a Celery task builds it after commit. The build is
idempotent: a done or failed bundle is left alone, and one found running
(its worker died and the broker handed the task back) is rebuilt from
scratch. Each start bumps ``attempts``, and progress and the final write
land only while the row still carries this build's attempt, so a build
overtaken by a redelivered task stops instead of racing it.

Cancelled receipts are packed too, with their status: the auditor checks
the whole series, gaps included.
"""

import csv
import hashlib
import io
import logging
import os
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from finance.builds import (
    Superseded,
    build_claim,
    build_fail,
    build_lock_running,
    build_update,
    unexpected_error,
)
from finance.models import ReceiptBundle, bundle_file_path
from finance.spreadsheet import safe_row
from receipts.models import Receipt

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
FIRST_YEAR, LAST_YEAR = 2000, 2100
# Receipts packed between two progress writes: often enough for a bar that
# moves every second or two, rarely enough to cost nothing.
PROGRESS_EVERY = 25
READ_SIZE = 1 << 16
INDEX_NAME = "index.csv"
INDEX_HEADER = (
    "number",
    "status",
    "issued_at_paris",
    "donor_name",
    "donor_type",
    "amount",
    "currency",
    "gift_id",
    "campaign",
    "replaces_number",
    "sha256",
)
# Read from each receipt row; the donor comes from the frozen snapshot, so
# the index names whom the receipt certifies, not today's donor record.
ROW_FIELDS = (
    "number",
    "status",
    "issued_at",
    "amount",
    "amount_currency",
    "gift_id",
    "gift__campaign__slug",
    "snapshot__donor",
    "snapshot__replaces_number",
    "pdf",
    "pdf_sha256",
)


class BundleRefused(ValueError):
    """The request cannot be accepted; the message says why, for staff."""


class BundleBroken(Exception):
    """A receipt's PDF is missing or is not the one that was issued."""

    MISSING = "missing"
    ALTERED = "altered"

    def __init__(self, number: str, problem: str):
        super().__init__(number, problem)
        self.number = number
        self.problem = problem

    def message(self) -> str:
        if self.problem == self.MISSING:
            text = _("The PDF of receipt %(number)s is missing.")
        else:
            text = _(
                "The PDF of receipt %(number)s does not match the SHA-256 "
                "recorded when it was issued."
            )
        return text % {"number": self.number}


# === Request ===


def bundle_request(*, year, campaign=None, user) -> ReceiptBundle:
    """Record a bundle of ``year``'s receipts and queue its build after commit.

    ``campaign`` is a Campaign or its id, or None for the whole series. A
    year without receipts is accepted: its bundle holds only the index
    header, which tells the auditor the series is empty.
    """
    if isinstance(year, bool) or not isinstance(year, int):
        raise BundleRefused(_("The year must be a whole number."))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BundleRefused(
            _("The year must be between %(first)s and %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    if campaign is not None:
        campaign = _existing_campaign(campaign)

    with transaction.atomic():
        bundle = ReceiptBundle.objects.create(
            requested_by=user,
            year=year,
            campaign=campaign,
            total=_receipts(year, campaign).count(),
        )
        transaction.on_commit(lambda: _enqueue(bundle.pk))

    logger.info(
        "receipt bundle %s requested for %s by user %s",
        bundle.pk,
        year,
        user.pk,
        extra={"bundle_id": bundle.pk, "user_id": user.pk},
    )
    return bundle


def _existing_campaign(campaign) -> Campaign:
    campaign_id = campaign.pk if isinstance(campaign, Campaign) else campaign
    try:
        found = Campaign.objects.filter(pk=campaign_id).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise BundleRefused(_("No such campaign."))
    return found


def _enqueue(bundle_id: int) -> None:
    # Imported late: the tasks module imports this one.
    from finance.tasks import bundle_build_task

    try:
        bundle_build_task.delay(bundle_id)
    except Exception:
        # Nothing sweeps lost bundles; failing it at once lets staff see it
        # and ask again, instead of watching a bundle queued for ever.
        logger.warning(
            "could not queue receipt bundle %s",
            bundle_id,
            extra={"bundle_id": bundle_id},
        )
        ReceiptBundle.objects.filter(
            pk=bundle_id, status=ReceiptBundle.Status.QUEUED
        ).update(
            status=ReceiptBundle.Status.FAILED,
            error=_("The task queue could not be reached. Request the bundle again."),
            finished_at=timezone.now(),
        )


# === Build ===


def bundle_build(bundle_id: int) -> None:
    """Build the ZIP of a queued bundle, or rebuild one left running.

    Never leaves the bundle running: any error marks it failed with a
    message for staff. A database that fails even that raises, and the
    task's retry rebuilds the bundle.
    """
    bundle = _claim(bundle_id)
    if bundle is None:
        return
    attempt = bundle.attempts
    extra = {"bundle_id": bundle_id, "attempt": attempt}

    # Messages are stored once, so they are written in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        try:
            _build(bundle, attempt)
        except Superseded:
            logger.warning(
                "receipt bundle %s: build %s overtaken by a newer one",
                bundle_id,
                attempt,
                extra=extra,
            )
        except BundleBroken as exc:
            logger.error(
                "receipt bundle %s failed: PDF of receipt %s %s",
                bundle_id,
                exc.number,
                exc.problem,
                extra=extra,
            )
            build_fail(ReceiptBundle, bundle_id, attempt, exc.message())
        except Exception as exc:
            logger.exception("receipt bundle %s failed", bundle_id, extra=extra)
            build_fail(ReceiptBundle, bundle_id, attempt, unexpected_error(exc))
        else:
            logger.info("receipt bundle %s built", bundle_id, extra=extra)


def _claim(bundle_id: int) -> ReceiptBundle | None:
    """Mark the bundle running for a new attempt; None if there is nothing to do."""
    bundle, previous = build_claim(ReceiptBundle, bundle_id, done_count=0)
    extra = {"bundle_id": bundle_id}
    if bundle is None:
        logger.info("receipt bundle %s is already %s", bundle_id, previous, extra=extra)
    elif previous == ReceiptBundle.Status.RUNNING:
        logger.warning(
            "receipt bundle %s was left running; rebuilding it", bundle_id, extra=extra
        )
    return bundle


def _build(bundle: ReceiptBundle, attempt: int) -> None:
    # The ids are read once, so the total and the packed rows agree even if
    # a receipt is issued while the bundle is being built.
    receipt_ids = list(
        _receipts(bundle.year, bundle.campaign_id)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    _record_progress(bundle.pk, attempt, done=0, total=len(receipt_ids))

    storage = bundle.file.storage
    name = bundle_file_path(bundle, "")
    final_path = Path(storage.path(name))
    final_path.parent.mkdir(parents=True, exist_ok=True)
    # Parts of earlier attempts whose worker died before cleaning up.
    for leftover in final_path.parent.glob(f"{final_path.stem}.*.part"):
        leftover.unlink(missing_ok=True)
    # Written next to its final place, then renamed: the rename is atomic on
    # one file system, so nobody ever reads half a ZIP.
    handle, part = tempfile.mkstemp(
        dir=final_path.parent, prefix=f"{final_path.stem}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as raw:
            _write_zip(raw, bundle, attempt, receipt_ids)
            raw.flush()
            os.fsync(raw.fileno())
        # mkstemp makes the file private to the worker's user; the web
        # process, maybe another user, must read it as it reads receipts.
        if storage.file_permissions_mode is not None:
            os.chmod(part, storage.file_permissions_mode)
        _finish(bundle.pk, attempt, part=part, final_path=final_path, name=name)
    finally:
        Path(part).unlink(missing_ok=True)


def _write_zip(raw, bundle: ReceiptBundle, attempt: int, receipt_ids: list) -> None:
    storage = Receipt._meta.get_field("pdf").storage
    folder = f"recus-{bundle.year}"
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(INDEX_HEADER)

    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for start in range(0, len(receipt_ids), PROGRESS_EVERY):
            chunk = receipt_ids[start : start + PROGRESS_EVERY]
            rows = (
                Receipt.objects.filter(pk__in=chunk)
                .order_by("number")
                .values(*ROW_FIELDS)
            )
            for row in rows:
                _pack_pdf(archive, storage, row, f"{folder}/{row['number']}.pdf")
                writer.writerow(safe_row(_index_row(row)))
            _record_progress(bundle.pk, attempt, done=start + len(chunk))

        entry = _zip_entry(INDEX_NAME, timezone.now())
        archive.writestr(entry, index.getvalue().encode("utf-8"))


def _pack_pdf(archive: zipfile.ZipFile, storage, row: dict, entry: str) -> None:
    """Copy one PDF into the archive, checking it is the one issued."""
    info = _zip_entry(entry, row["issued_at"])
    digest = hashlib.sha256()
    try:
        if not row["pdf"]:
            raise FileNotFoundError(row["number"])
        with storage.open(row["pdf"], "rb") as source, archive.open(info, "w") as out:
            for block in iter(lambda: source.read(READ_SIZE), b""):
                digest.update(block)
                out.write(block)
    except FileNotFoundError:
        raise BundleBroken(row["number"], BundleBroken.MISSING) from None
    if digest.hexdigest() != row["pdf_sha256"]:
        raise BundleBroken(row["number"], BundleBroken.ALTERED)


def _index_row(row: dict) -> tuple:
    donor = row["snapshot__donor"] or {}
    if donor.get("kind") == "company":
        name = donor.get("company_name", "")
    else:
        name = f"{donor.get('first_names', '')} {donor.get('last_name', '')}".strip()
    issued_at = timezone.localtime(row["issued_at"], PARIS)
    return (
        row["number"],
        row["status"],
        issued_at.strftime("%Y-%m-%d %H:%M:%S"),
        name,
        donor.get("kind", ""),
        f"{row['amount']:.2f}",
        row["amount_currency"],
        row["gift_id"],
        row["gift__campaign__slug"],
        row["snapshot__replaces_number"] or "",
        row["pdf_sha256"],
    )


def _record_progress(bundle_id: int, attempt: int, *, done: int, total=None) -> None:
    changes = {"done_count": done}
    if total is not None:
        changes["total"] = total
    build_update(ReceiptBundle, bundle_id, attempt, **changes)


def _finish(bundle_id: int, attempt: int, *, part, final_path: Path, name) -> None:
    with transaction.atomic():
        bundle = build_lock_running(ReceiptBundle, bundle_id, attempt)
        os.replace(part, final_path)
        bundle.status = ReceiptBundle.Status.DONE
        bundle.done_count = bundle.total
        bundle.file.name = name
        bundle.finished_at = timezone.now()
        bundle.save(update_fields=["status", "done_count", "file", "finished_at"])


def _receipts(year: int, campaign):
    receipts = Receipt.objects.filter(year=year)
    if campaign is not None:
        # An annual summary belongs to every campaign one of its gifts went to.
        receipts = receipts.filter(
            Q(gift__campaign=campaign) | Q(lines__gift__campaign=campaign)
        ).distinct()
    return receipts


def _zip_entry(name: str, moment: datetime) -> zipfile.ZipInfo:
    # Dated in Paris time: a PDF carries the moment its receipt was issued.
    entry = zipfile.ZipInfo(name, timezone.localtime(moment, PARIS).timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry
