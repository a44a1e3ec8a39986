from django.contrib import admin

from fx.models import FxRate
from mecene.admin import ReadOnlyAdmin


@admin.register(FxRate)
class FxRateAdmin(ReadOnlyAdmin):
    """Rates are only read here: they come from the ECB's files through
    ``import_fx_rates``, and gifts keep the rate they were converted with."""

    list_display = ("day", "currency", "per_eur", "source", "imported_at")
    list_filter = ("currency",)
    date_hierarchy = "day"
    ordering = ("-day", "currency")
