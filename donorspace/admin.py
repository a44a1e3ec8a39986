from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from donorspace.models import ErasureRequest


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "donor", "requested_at", "handled_at")
    list_filter = ("handled_at",)
    readonly_fields = ("donor", "requested_at", "handled_at")
    actions = ["mark_handled"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Mark as handled"), permissions=["change"])
    def mark_handled(self, request, queryset):
        queryset.filter(handled_at__isnull=True).update(handled_at=timezone.now())
