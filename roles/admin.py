from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mecene.admin import ReadOnlyAdminMixin
from roles.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only, like the table under it: no add, no change, no delete."""

    list_display = ("at", "action", "actor", "target", "data", "ip")
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_type", "object_id")
    date_hierarchy = "at"
    list_select_related = ("actor",)
    readonly_fields = [f.name for f in AuditEntry._meta.fields] + ["target"]

    @admin.display(description=_("object"))
    def target(self, entry):
        if not entry.object_type:
            return "—"
        label = f"{entry.object_type} #{entry.object_id}"
        app_label, _dot, model_name = entry.object_type.partition(".")
        try:
            url = reverse(
                f"admin:{app_label}_{model_name}_change", args=[entry.object_id]
            )
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)
