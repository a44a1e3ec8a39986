"""Celery tasks for finance: load by id, call a service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from finance.bundles import bundle_build
from finance.export_jobs import export_job_build, export_purge_expired

# Only a database that cannot even record the failure reaches the task; the
# retry then finds the bundle or job running and builds it from scratch.
RETRYABLE = (OperationalError, InterfaceError)


@shared_task(
    bind=True, autoretry_for=RETRYABLE, retry_backoff=5, max_retries=5, acks_late=True
)
def bundle_build_task(self, bundle_id: int) -> None:
    bundle_build(bundle_id)


@shared_task(
    bind=True, autoretry_for=RETRYABLE, retry_backoff=5, max_retries=5, acks_late=True
)
def export_build_task(self, job_id: int) -> None:
    export_job_build(job_id)


@shared_task
def export_purge_task() -> None:
    export_purge_expired()
