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


class ReadOnlyAdminMixin:
    """For tables filled by the application only: staff may look, never edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """An append-only table as a whole admin: staff with the view permission
    read it, nobody edits or deletes."""
