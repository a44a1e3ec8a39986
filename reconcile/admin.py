from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mecene.admin import ReadOnlyAdmin
from reconcile.models import (
    GiftSettlement,
    Mismatch,
    Payout,
    ReconciliationRun,
    RefundSettlement,
)


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at", "since", "until", "status", "actor", "transaction_count",
        "matched_count", "payout_count", "mismatch_count", "page",
    )  # fmt: skip
    list_filter = ("status",)

    @admin.display(description=_("page"))
    def page(self, run):
        url = reverse("reconcile:reconciliation")
        return format_html('<a href="{}">{}</a>', url, _("Reconciliation page"))


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("stripe_payout_id", "amount", "transactions_net", "status",
                    "arrival_at")  # fmt: skip
    list_filter = ("status",)
    search_fields = ("stripe_payout_id",)


@admin.register(GiftSettlement)
class GiftSettlementAdmin(ReadOnlyAdmin):
    list_display = ("gift", "amount", "fee", "net", "payout", "stripe_created_at")
    list_select_related = ("gift", "payout")
    search_fields = ("stripe_balance_transaction_id", "stripe_charge_id")


@admin.register(RefundSettlement)
class RefundSettlementAdmin(ReadOnlyAdmin):
    list_display = ("refund", "amount", "fee", "net", "payout", "stripe_created_at")
    list_select_related = ("refund", "payout")
    search_fields = ("stripe_balance_transaction_id",)


@admin.register(Mismatch)
class MismatchAdmin(ReadOnlyAdmin):
    """Settled from the reconciliation page, which records who and why."""

    list_display = ("kind", "key", "gift", "expected", "actual", "found_at",
                    "resolved", "resolved_by")  # fmt: skip
    list_filter = ("resolved", "kind")
    search_fields = ("key",)
