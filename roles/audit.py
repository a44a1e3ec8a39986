"""The audit trail's one writer, for every app: ``audit_record``.

The request being served (if any) is kept in a context variable by
``AuditContextMiddleware``, so an entry written deep in a service or a
signal receiver still gets the request's IP address, and receivers that
have no user at hand (a group's members changed) get the signed-in user.
"""

import logging
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models

from roles.models import AuditEntry

logger = logging.getLogger(__name__)

_current_request = ContextVar("audit_current_request", default=None)


def audit_record(actor, action: str, obj=None, /, **data) -> AuditEntry:
    """Append one entry: ``actor`` did ``action`` to ``obj``.

    ``actor`` is a user, or None for the system (a command, a task). ``obj``
    is a model instance or None. ``data`` is JSON (Decimal, Money and dates
    are accepted) and must hold ids and figures only, never personal data.
    Call it inside the transaction that makes the change, so the entry and
    the change are kept or lost together.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    object_type, object_id = "", ""
    if isinstance(obj, models.Model):
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    elif obj is not None:
        raise TypeError("audit_record takes a model instance or None as obj")
    entry = AuditEntry.objects.create(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data,
        ip=current_ip(),
    )
    logger.info(
        "audit %s: %s on %s %s by user %s",
        entry.pk,
        action,
        object_type or "-",
        object_id or "-",
        getattr(actor, "pk", None),
        extra={"audit_entry_id": entry.pk},
    )
    return entry


def current_user():
    """The signed-in user of the request being served, or None."""
    request = _current_request.get()
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def current_ip() -> str | None:
    request = _current_request.get()
    if request is None:
        return None
    # REMOTE_ADDR is the peer: behind a proxy, the proxy. Trusting a
    # forwarded header needs the deployment's list of proxies, which
    # Mécène does not have yet.
    return request.META.get("REMOTE_ADDR") or None


@contextmanager
def serving(request):
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)
