"""Celery tasks for donors: load by id or year, call a service."""

from celery import shared_task

from donors.address_check import address_check_run, address_check_year


@shared_task(acks_late=True)
def address_check_task(year: int | None = None) -> dict:
    """Ask donors to check the address of their coming summary (beat, in
    early December and early January); safe to rerun."""
    return address_check_run(year or address_check_year())
