from django.contrib import admin

from donors.models import Donor


@admin.register(Donor)
class DonorAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "display_name",
        "email",
        "postal_code",
        "country",
        "created_at",
    )
    list_filter = ("kind", "country", "language")
    search_fields = ("last_name", "first_name", "company_name", "email", "siren")
    readonly_fields = ("created_at", "updated_at")

    def has_delete_permission(self, request, obj=None):
        # Donors behind receipts must stay; erasure is a pseudonymisation
        # process, not a delete button.
        return False
