"""Files built by a worker that a redelivered task may overtake.

Receipt bundles and export jobs share one discipline. A build claims its row
under a lock and bumps ``attempts``; progress, the final write and a failure
then land only while the row is still running with that attempt. A build
overtaken by a newer one (the broker handed its task to another worker after
this one looked dead) finds its writes refused and stops instead of racing.

The models need ``status`` (with RUNNING), ``attempts``, ``error`` and
``finished_at`` fields and an ``is_finished`` property.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

RUNNING = "running"
FAILED = "failed"


class Superseded(Exception):
    """A newer build of the same row started after this one."""


def build_claim(model, pk: int, **reset):
    """Lock the row and start a new attempt: (row, status it had).

    The row is None when it is missing or already finished; ``reset``
    names the progress fields to zero for the new attempt.
    """
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None or row.is_finished:
            return None, row.status if row else None
        previous = row.status
        row.status = RUNNING
        row.attempts += 1
        row.error = ""
        for name, value in reset.items():
            setattr(row, name, value)
        row.save(update_fields=["status", "attempts", "error", *reset])
    return row, previous


def build_update(model, pk: int, attempt: int, **changes) -> None:
    # A plain UPDATE in autocommit: pages see the progress at once, and no
    # lock is held while the build goes on.
    updated = model.objects.filter(pk=pk, attempts=attempt, status=RUNNING).update(
        **changes
    )
    if not updated:
        raise Superseded


def build_lock_running(model, pk: int, attempt: int):
    """The row locked for the final write; call inside a transaction.

    A newer attempt's claim takes the same lock, so a build that was
    overtaken never replaces the newer one's file.
    """
    row = (
        model.objects.select_for_update()
        .filter(pk=pk, attempts=attempt, status=RUNNING)
        .first()
    )
    if row is None:
        raise Superseded
    return row


def unexpected_error(exc: Exception) -> str:
    """The message staff read for a failure nobody planned for."""
    return _("Unexpected error: %(error)s") % {"error": f"{exc!r}"[:500]}


def build_fail(model, pk: int, attempt: int, message: str) -> None:
    model.objects.filter(pk=pk, attempts=attempt, status=RUNNING).update(
        status=FAILED, error=message, finished_at=timezone.now()
    )
