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
    """An admin that shows rows and never adds, edits or deletes them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
