"""The ledger in the admin: committed bourses are edited here; closed years
are read-only, since their rows are a frozen record (docs/ledger.md)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ledger.models import Commitment, LedgerLine, LedgerYear


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ["beneficiary", "year", "amount"]
    list_filter = ["year", "beneficiary__campaign"]
    list_select_related = ["beneficiary"]


class LedgerLineInline(admin.TabularInline):
    model = LedgerLine
    extra = 0
    can_delete = False
    fields = ["public_name", "committed", "carried_in", "designated", "adjustment",
              "allocated", "funded", "surplus", "state"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LedgerYear)
class LedgerYearAdmin(admin.ModelAdmin):
    list_display = ["campaign", "year", "rule", "unallocated", "closed_at", "page"]
    list_filter = ["campaign", "year"]
    inlines = [LedgerLineInline]
    readonly_fields = ["campaign", "year", "rule", "undesignated", "carried_in",
                       "adjustment", "allocated", "unallocated", "closed_at",
                       "closed_by"]  # fmt: skip

    @admin.display(description=_("ledger page"))
    def page(self, obj):
        url = reverse(
            "ledger:year", kwargs={"slug": obj.campaign.slug, "year": obj.year}
        )
        return format_html('<a href="{}">{}</a>', url, _("Open"))

    def has_add_permission(self, request):
        return False  # years are closed from the ledger page or the command

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
