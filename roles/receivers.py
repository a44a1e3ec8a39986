"""What writes the audit trail without each app calling it.

Gift and receipt events that name a person (refunds, cancellations,
replacements, duplicates, downloads, staff edits) already say who did what:
each becomes an audit entry pointing to the event, written in the same
transaction. Changes to who holds which role are recorded here too.
"""

from django.contrib.auth.models import Group, Permission
from django.db import connections

from roles.audit import audit_record, current_user
from roles.models import AuditEntry
from roles.services import roles_sync, roles_syncing


def sync_after_migrate(sender, app_config, using="default", **kwargs):
    # Runs once per migrated app, after auth created that app's permissions
    # (auth connected its receiver first), so an app installed later joins
    # its role at its first migrate.
    needed = {
        Group._meta.db_table,
        Permission._meta.db_table,
        AuditEntry._meta.db_table,
    }
    if not needed <= set(connections[using].introspection.table_names()):
        return  # a partial migrate (or roles migrated back to zero)
    roles_sync(app_labels=[app_config.label], using=using)


def audit_history_event(sender, instance, created, raw=False, **kwargs):
    if not created or raw or instance.actor_id is None:
        return
    target = instance.gift if hasattr(instance, "gift_id") else instance.receipt
    prefix = target._meta.model_name
    audit_record(instance.actor, f"{prefix}.{instance.kind}", target, event=instance.pk)


def audit_membership(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Users added to or removed from groups, either side of the relation."""
    if action == "pre_clear":
        # The members are known only before they are cleared.
        pk_set = set(_related_pks(instance, reverse))
        action = "post_remove"
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    verb = "added" if action == "post_add" else "removed"
    if reverse:  # group.user_set.add(user, …)
        for user_pk in sorted(pk_set):
            audit_record(current_user(), f"role.member_{verb}", instance, user=user_pk)
    else:  # user.groups.add(group, …)
        for group in Group.objects.filter(pk__in=pk_set).order_by("pk"):
            audit_record(current_user(), f"role.member_{verb}", group, user=instance.pk)


def audit_group_permissions(sender, instance, action, reverse, pk_set, **kwargs):
    """A permission given to or taken from a group (or a user directly)."""
    if roles_syncing() or action not in ("post_add", "post_remove") or not pk_set:
        return
    verb = "added" if action == "post_add" else "removed"
    if reverse:
        # permission.group_set.add(…) or permission.user_set.add(…)
        for pk in sorted(pk_set):
            audit_record(
                current_user(),
                f"role.permission_{verb}",
                None,
                permission=_permission_name(instance),
                **{sender_owner(sender): pk},
            )
        return
    names = sorted(
        _permission_name(p)
        for p in Permission.objects.filter(pk__in=pk_set).select_related("content_type")
    )
    audit_record(current_user(), f"role.permission_{verb}", instance, permissions=names)


def snapshot_user_flags(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    before = (
        sender.objects.filter(pk=instance.pk)
        .values("is_staff", "is_superuser", "is_active")
        .first()
    )
    if before:
        instance._audit_flags_before = before


def audit_user_flags(sender, instance, created, raw=False, **kwargs):
    before = getattr(instance, "_audit_flags_before", None)
    if raw or created or before is None:
        return
    del instance._audit_flags_before
    changed = {
        flag: getattr(instance, flag)
        for flag, old in before.items()
        if getattr(instance, flag) != old
    }
    if changed:
        audit_record(current_user(), "role.user_flags_changed", instance, **changed)


def audit_group_deleted(sender, instance, **kwargs):
    audit_record(current_user(), "role.group_deleted", instance, name=instance.name)


def sender_owner(sender) -> str:
    return "group" if sender is Group.permissions.through else "user"


def _permission_name(permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def _related_pks(instance, reverse):
    if reverse:
        return instance.user_set.values_list("pk", flat=True)
    return instance.groups.values_list("pk", flat=True)
