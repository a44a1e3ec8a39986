"""Celery tasks for reconciliation: load by id, call a service.

Queueing never raises (see ``reconciliation_queue``): a run that was not
queued leaves no row behind, and the next daily run covers its days.
"""

import logging
from datetime import date

from celery import shared_task
from django.contrib.auth import get_user_model

from payments.gateway import GatewayError
from reconcile.services import (
    ReconciliationRefused,
    default_since,
    reconciliation_run,
    reconciliation_start,
)

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def reconciliation_task(
    since: str, until: str | None = None, actor_id: int | None = None
) -> int | None:
    """Run a reconciliation a staff member asked for; return the run's id."""
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return _start_and_run(
        since=date.fromisoformat(since),
        until=date.fromisoformat(until) if until else None,
        actor=actor,
    )


@shared_task(acks_late=True)
def reconciliation_daily_task() -> int | None:
    """Beat: reconcile from the last successful run (less a margin) to today."""
    return _start_and_run(since=default_since(), until=None, actor=None)


def _start_and_run(*, since, until, actor):
    try:
        run = reconciliation_start(since=since, until=until, actor=actor)
    except ReconciliationRefused as exc:
        logger.warning("reconciliation not started: %s", exc)
        return None
    try:
        reconciliation_run(run.pk)
    except GatewayError:
        # Recorded on the run, which the page shows; tomorrow's run re-reads
        # these days (it starts from the last successful run).
        pass
    return run.pk


def reconciliation_queue(*, since: date, until: date | None, actor_id: int) -> bool:
    """Queue a run; False when the broker cannot take it (nothing is lost)."""
    try:
        reconciliation_task.delay(
            since.isoformat(), until.isoformat() if until else None, actor_id
        )
    except Exception:
        logger.warning("reconciliation could not be queued", exc_info=True)
        return False
    return True
