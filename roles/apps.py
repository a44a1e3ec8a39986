from django.apps import AppConfig
from django.db.models.signals import (
    m2m_changed,
    post_migrate,
    post_save,
    pre_delete,
    pre_save,
)
from django.utils.translation import gettext_lazy as _


class RolesConfig(AppConfig):
    name = "roles"
    verbose_name = _("Roles and audit trail")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from payments.models import GiftEvent
        from receipts.models import ReceiptEvent
        from roles import receivers

        User = get_user_model()
        uid = "roles."
        post_migrate.connect(receivers.sync_after_migrate, dispatch_uid=uid + "sync")
        for model in (GiftEvent, ReceiptEvent):
            post_save.connect(
                receivers.audit_history_event,
                sender=model,
                dispatch_uid=uid + model._meta.label_lower,
            )
        m2m_changed.connect(
            receivers.audit_membership,
            sender=User.groups.through,
            dispatch_uid=uid + "membership",
        )
        for through in (Group.permissions.through, User.user_permissions.through):
            m2m_changed.connect(
                receivers.audit_group_permissions,
                sender=through,
                dispatch_uid=uid + through._meta.label_lower,
            )
        pre_save.connect(
            receivers.snapshot_user_flags, sender=User, dispatch_uid=uid + "pre_user"
        )
        post_save.connect(
            receivers.audit_user_flags, sender=User, dispatch_uid=uid + "post_user"
        )
        pre_delete.connect(
            receivers.audit_group_deleted, sender=Group, dispatch_uid=uid + "group"
        )
