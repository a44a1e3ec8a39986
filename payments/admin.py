from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mecene.admin import AppendOnlyInline
from payments.models import Gift, GiftEvent, StripeEvent
from payments.services import gift_record_event
from receipts.selectors import issued_receipt_number


class GiftEventInline(AppendOnlyInline):
    model = GiftEvent


@admin.register(Gift)
class GiftAdmin(admin.ModelAdmin):
    change_list_template = "admin/payments/gift/change_list.html"
    list_display = (
        "id",
        "campaign",
        "donor_link",
        "amount",
        "status",
        "method",
        "anonymous",
        "paid_at",
        "receipt_number",
    )
    list_filter = ("status", "method", "campaign", "anonymous")
    search_fields = (
        "id",
        "donor__email",
        "donor__last_name",
        "donor__company_name",
        "stripe_payment_intent_id",
    )
    date_hierarchy = "paid_at"
    list_select_related = ("campaign", "donor")
    readonly_fields = [f.name for f in Gift._meta.fields]
    inlines = [GiftEventInline]

    actions = ["issue_missing_receipts"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Issue missing receipts of the selected paid gifts"))
    def issue_missing_receipts(self, request, queryset):
        from receipts.tasks import receipt_enqueue

        gifts = queryset.filter(status=Gift.Status.PAID, receipts__isnull=True)
        queued = sum(receipt_enqueue(gift.pk) for gift in gifts)
        for gift in gifts:
            gift_record_event(gift, "receipt_requested", actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d receipt queued.", "%(count)d receipts queued.", queued)
            % {"count": queued},
        )

    @admin.display(description=_("donor"))
    def donor_link(self, gift):
        url = reverse("admin:donors_donor_change", args=[gift.donor_id])
        return format_html('<a href="{}">{}</a>', url, gift.donor.display_name)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(issued_receipt=issued_receipt_number())
        )

    @admin.display(description=_("receipt"), ordering="issued_receipt")
    def receipt_number(self, gift):
        return gift.issued_receipt or "—"


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = (
        "stripe_event_id",
        "type",
        "status",
        "stripe_object_id",
        "received_at",
        "processed_at",
    )
    list_filter = ("status", "type")
    search_fields = ("stripe_event_id", "stripe_object_id")
    readonly_fields = [f.name for f in StripeEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
