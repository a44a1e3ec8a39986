from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from finance.models import ExportJob, ReceiptBundle

# Bundles hold every receipt of a year, so the permission that guards one
# receipt guards them, here as on the bundle pages.
RECEIPT_PERMISSION = "receipts.view_receipt"


class BuiltFileAdmin(admin.ModelAdmin):
    """Read-only, file hidden: what a worker built is never edited here."""

    exclude = ("file",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReceiptBundle)
class ReceiptBundleAdmin(BuiltFileAdmin):
    """Read-only: bundles are requested and built from the bundle pages."""

    change_list_template = "finance/admin_bundle_change_list.html"
    list_display = (
        "requested_at",
        "year",
        "scope",
        "status",
        "progress",
        "requested_by",
        "page",
    )
    list_filter = ("status", "year")
    list_select_related = ("campaign", "requested_by")
    readonly_fields = [
        f.name for f in ReceiptBundle._meta.fields if f.name not in ("id", "file")
    ] + ["progress", "page"]

    def has_module_permission(self, request):
        return request.user.has_perm(RECEIPT_PERMISSION)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(RECEIPT_PERMISSION)

    @admin.display(description=_("campaign"), ordering="campaign__slug")
    def scope(self, bundle):
        return bundle.campaign.slug if bundle.campaign_id else _("All campaigns")

    @admin.display(description=_("progress"))
    def progress(self, bundle):
        return f"{bundle.done_count} / {bundle.total}"

    @admin.display(description=_("page"))
    def page(self, bundle):
        return format_html('<a href="{}">{}</a>', bundle.get_absolute_url(), _("Open"))


@admin.register(ExportJob)
class ExportJobAdmin(BuiltFileAdmin):
    """Read-only: who exported what and when. Files are downloaded only by
    their requester, from the export pages."""

    list_display = ("requested_at", "dataset", "format", "scope", "status", "rows")
    list_filter = ("status", "dataset", "format")
    list_select_related = ("requested_by",)
    readonly_fields = [
        f.name for f in ExportJob._meta.fields if f.name not in ("id", "file")
    ]

    @admin.display(description=_("filters"))
    def scope(self, job):
        return ", ".join(f"{key}={value}" for key, value in job.filters.items())

    @admin.display(description=_("rows written"), ordering="row_count")
    def rows(self, job):
        return job.row_count
