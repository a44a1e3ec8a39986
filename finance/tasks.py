"""Celery tasks for finance: load by id, call a service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from finance.bundles import bundle_build

# Only a database that cannot even record the failure reaches the task; the
# retry then finds the bundle running and rebuilds it from scratch.
RETRYABLE = (OperationalError, InterfaceError)


@shared_task(
    bind=True, autoretry_for=RETRYABLE, retry_backoff=5, max_retries=5, acks_late=True
)
def bundle_build_task(self, bundle_id: int) -> None:
    bundle_build(bundle_id)
