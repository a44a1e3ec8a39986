from django.contrib import admin

from donors.models import AddressCheck, ConsentRecord, Donor, PreferenceChange
from mecene.admin import ReadOnlyAdmin


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
    readonly_fields = ("created_at", "updated_at", "language_chosen_at")

    def has_delete_permission(self, request, obj=None):
        # Donors behind receipts must stay; erasure is a pseudonymisation
        # process, not a delete button.
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ("id", "donor", "topic", "given", "source", "language", "at")
    list_filter = ("topic", "given", "source", "language")
    list_select_related = ("donor",)
    search_fields = ("donor__email",)


@admin.register(PreferenceChange)
class PreferenceChangeAdmin(ReadOnlyAdmin):
    list_display = ("id", "donor", "field", "old_value", "new_value", "at")
    list_filter = ("field",)
    list_select_related = ("donor",)


@admin.register(AddressCheck)
class AddressCheckAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "donor",
        "year",
        "emailed_at",
        "confirmed_at",
        "corrected_at",
    )
    list_filter = ("year",)
    list_select_related = ("donor",)
