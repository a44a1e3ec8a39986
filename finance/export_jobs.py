"""Exports run by a Celery worker, with progress, for files too big to stream.

Staff ask for a job; a task writes the file after commit. Like receipt
bundles (``finance.bundles``), the build is idempotent: a finished job is
left alone, and a job found running (its worker died, the broker handed the
task back) is written again from scratch, under the attempt rules of
``finance.builds``.

The file is written beside its final place and renamed, so a download never
reads half an export. Files are deleted once they expire.
"""

import logging
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from finance.builds import (
    Superseded,
    build_claim,
    build_fail,
    build_lock_running,
    build_update,
    unexpected_error,
)
from finance.export_datasets import Dataset, ExportFilters, get_dataset
from finance.export_writers import write_rows
from finance.models import ExportJob, export_file_path

logger = logging.getLogger(__name__)


def retention() -> timedelta:
    return timedelta(hours=getattr(settings, "MECENE_EXPORT_RETENTION_HOURS", 72))


def export_job_request(
    *, dataset: Dataset, filters: ExportFilters, fmt: str, separator: str, user
) -> ExportJob:
    """Record a job for validated filters and queue its build after commit."""
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=user,
            dataset=dataset.name,
            format=fmt,
            separator=separator,
            filters=filters.as_params(),
            total=dataset.count(filters),
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    logger.info(
        "export job %s (%s) requested by user %s",
        job.pk,
        dataset.name,
        user.pk,
        extra={"export_job_id": job.pk, "user_id": user.pk},
    )
    return job


def _enqueue(job_id: int) -> None:
    # Imported late: the tasks module imports this one.
    from finance.tasks import export_build_task

    try:
        export_build_task.delay(job_id)
    except Exception:
        # Nothing sweeps lost jobs: failing it at once lets staff see it and
        # ask again, instead of watching a job queued for ever.
        logger.warning(
            "could not queue export job %s", job_id, extra={"export_job_id": job_id}
        )
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
            status=ExportJob.Status.FAILED,
            error=_("The task queue could not be reached. Ask for the export again."),
            finished_at=timezone.now(),
        )


def export_job_build(job_id: int) -> None:
    """Write the file of a queued job, or rewrite one left running."""
    job = _claim(job_id)
    if job is None:
        return
    attempt = job.attempts
    extra = {"export_job_id": job_id, "attempt": attempt}
    with translation.override(settings.LANGUAGE_CODE):
        try:
            _build(job, attempt)
        except Superseded:
            logger.warning(
                "export job %s: build %s overtaken by a newer one",
                job_id,
                attempt,
                extra=extra,
            )
        except Exception as exc:
            logger.exception("export job %s failed", job_id, extra=extra)
            build_fail(ExportJob, job_id, attempt, unexpected_error(exc))
        else:
            logger.info("export job %s written", job_id, extra=extra)


def _claim(job_id: int) -> ExportJob | None:
    job, previous = build_claim(ExportJob, job_id, row_count=0)
    if job is not None and previous == ExportJob.Status.RUNNING:
        logger.warning(
            "export job %s was left running; writing it again",
            job_id,
            extra={"export_job_id": job_id},
        )
    return job


def _build(job: ExportJob, attempt: int) -> None:
    dataset = get_dataset(job.dataset)
    if dataset is None:
        raise ValueError(f"unknown export {job.dataset!r}")
    filters = ExportFilters(**job.filters)

    storage = job.file.storage
    name = export_file_path(job, "")
    final_path = Path(storage.path(name))
    final_path.parent.mkdir(parents=True, exist_ok=True)
    handle, part = tempfile.mkstemp(
        dir=final_path.parent, prefix=f"{job.token}.", suffix=".part"
    )
    os.close(handle)
    try:
        count = write_rows(
            part,
            job.format,
            dataset.header,
            dataset.rows(filters),
            separator=job.separator,
            title=str(dataset.label),
            progress=lambda done: _record_progress(job.pk, attempt, done),
        )
        if storage.file_permissions_mode is not None:
            os.chmod(part, storage.file_permissions_mode)
        _finish(
            job.pk, attempt, part=part, final_path=final_path, name=name, count=count
        )
    finally:
        Path(part).unlink(missing_ok=True)


def _record_progress(job_id: int, attempt: int, done: int) -> None:
    build_update(ExportJob, job_id, attempt, row_count=done)


def _finish(job_id, attempt, *, part, final_path: Path, name, count: int) -> None:
    with transaction.atomic():
        job = build_lock_running(ExportJob, job_id, attempt)
        os.replace(part, final_path)
        now = timezone.now()
        job.status = ExportJob.Status.DONE
        job.row_count = count
        job.total = count
        job.file.name = name
        job.finished_at = now
        job.expires_at = now + retention()
        job.save(
            update_fields=[
                "status",
                "row_count",
                "total",
                "file",
                "finished_at",
                "expires_at",
            ]
        )


def export_purge_expired(now=None) -> int:
    """Delete the files of jobs past their expiry; return how many."""
    now = now or timezone.now()
    purged = 0
    expired = ExportJob.objects.filter(
        status=ExportJob.Status.DONE, expires_at__lte=now
    ).values_list("pk", flat=True)
    for job_id in list(expired):
        with transaction.atomic():
            job = ExportJob.objects.select_for_update().get(pk=job_id)
            if job.file:
                job.file.delete(save=False)
            job.status = ExportJob.Status.EXPIRED
            job.save(update_fields=["status", "file"])
        purged += 1
        logger.info(
            "export job %s expired; file deleted",
            job_id,
            extra={"export_job_id": job_id},
        )
    return purged
