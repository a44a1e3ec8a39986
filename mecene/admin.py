from django.contrib import admin


class AppendOnlyInline(admin.TabularInline):
    """Shows an append-only history (gift or receipt events) read-only."""

    extra = 0
    can_delete = False
    readonly_fields = ("at", "kind", "actor", "data")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows only a service writes (imports, runs): staff read them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
