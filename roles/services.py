"""Keeping the role groups equal to their rules (roles/definitions.py)."""

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from roles.audit import audit_record
from roles.definitions import ROLES

logger = logging.getLogger(__name__)

# Set while roles_sync rewrites groups: it records one entry for the whole
# sync, so the per-permission receivers stay quiet.
_syncing = ContextVar("roles_syncing", default=False)


@dataclass
class RoleChange:
    group: str
    created: bool = False
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.created or bool(self.added or self.removed)


def roles_sync(*, app_labels=None, using="default", actor=None) -> list[RoleChange]:
    """Create the role groups and give each exactly its rules' permissions.

    With ``app_labels``, only the permissions of those apps are touched
    (what ``post_migrate`` does for the app just migrated). Running it twice
    changes nothing the second time. Returns what changed, per group.
    """
    permissions = Permission.objects.using(using).select_related("content_type")
    if app_labels is not None:
        permissions = permissions.filter(content_type__app_label__in=app_labels)
    names = {p.pk: f"{p.content_type.app_label}.{p.codename}" for p in permissions}
    changes = []

    with transaction.atomic(using=using), _quiet():
        for role in ROLES:
            group, created = Group.objects.using(using).get_or_create(name=role.name)
            wanted = {
                p.pk
                for p in permissions
                if role.allows(p.content_type.app_label, p.codename)
            }
            held = set(
                group.permissions.filter(pk__in=list(names)).values_list(
                    "pk", flat=True
                )
            )
            change = RoleChange(group=role.name, created=created)
            if wanted - held:
                group.permissions.add(*(wanted - held))
                change.added = sorted(names[pk] for pk in wanted - held)
            if held - wanted:
                group.permissions.remove(*(held - wanted))
                change.removed = sorted(names[pk] for pk in held - wanted)
            if change.changed:
                changes.append(change)

        if changes and using == "default":
            audit_record(
                actor,
                "roles.synced",
                None,
                changes={
                    c.group: {
                        "created": c.created,
                        "added": c.added,
                        "removed": c.removed,
                    }
                    for c in changes
                },
            )
    for change in changes:
        logger.info(
            "role %s: %s permissions added, %s removed",
            change.group,
            len(change.added),
            len(change.removed),
        )
    return changes


def roles_syncing() -> bool:
    return _syncing.get()


@contextmanager
def _quiet():
    token = _syncing.set(True)
    try:
        yield
    finally:
        _syncing.reset(token)
