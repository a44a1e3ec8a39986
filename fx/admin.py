from django.contrib import admin

from fx.models import FxRate


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    """Rates are only read here: they come from the ECB's files through
    ``import_fx_rates``, and gifts keep the rate they were converted with."""

    list_display = ("day", "currency", "per_eur", "source", "imported_at")
    list_filter = ("currency",)
    date_hierarchy = "day"
    ordering = ("-day", "currency")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
