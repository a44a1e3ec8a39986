import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from djmoney.money import Money

from campaigns.forms import AmountField
from mecene.admin import AppendOnlyInline, ReadOnlyAdmin
from payments import gateway
from payments.models import (
    Gift,
    GiftEvent,
    Mandate,
    RecurringEvent,
    RecurringGift,
    Refund,
    StripeEvent,
)
from payments.recurring import RecurringStateError
from payments.recurring_changes import recurring_pause, recurring_stop
from payments.refunds import RefundRefused, gift_refund
from payments.services import gift_record_event, received_on_problem
from receipts.models import Receipt
from receipts.selectors import issued_receipt_number


class GiftEventInline(AppendOnlyInline):
    model = GiftEvent


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = (
        "created_at",
        "amount",
        "source",
        "reason",
        "actor",
        "stripe_refund_id",
    )
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RefundForm(forms.Form):
    amount = AmountField(
        label=_("Amount to refund"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Leave empty to refund everything that is left."),
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3})
    )
    # One id per form shown: the same form sent twice refunds once.
    request_id = forms.UUIDField(widget=forms.HiddenInput)


# Staff may record only what they know better than the payment: the day the
# money reached the account and the value of any counterpart. Both count only
# for a receipt not yet issued (issued ones are frozen).
GIFT_EDITABLE = ("received_on", "counterpart_value")


@admin.register(Gift)
class GiftAdmin(admin.ModelAdmin):
    change_list_template = "admin/payments/gift/change_list.html"
    change_form_template = "admin/payments/gift/change_form.html"
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
    readonly_fields = [f.name for f in Gift._meta.fields if f.name not in GIFT_EDITABLE]
    inlines = [RefundInline, GiftEventInline]

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="payments_gift_refund",
            )
        ]
        return extra + super().get_urls()

    def refund_view(self, request, pk):
        if not request.user.has_perm("payments.refund_gift"):
            raise PermissionDenied
        gift = get_object_or_404(Gift.objects.select_related("donor"), pk=pk)
        if request.method == "POST":
            form = RefundForm(request.POST)
        else:
            form = RefundForm(initial={"request_id": uuid.uuid4()})
        if request.method == "POST" and form.is_valid():
            try:
                gift_refund(
                    gift.pk,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    request_id=str(form.cleaned_data["request_id"]),
                )
            except RefundRefused as exc:
                form.add_error(None, str(exc))
            except gateway.GatewayUnavailable:
                form.add_error(
                    None,
                    _(
                        "Stripe did not answer in time, so the refund may or may not "
                        "have been made. Look at this gift's refunds in a minute; "
                        "sending this same form again never refunds twice."
                    ),
                )
            except gateway.GatewayError as exc:
                form.add_error(None, _("Stripe refused the refund: %s") % exc)
            else:
                messages.success(request, _("The refund was made."))
                return redirect("admin:payments_gift_change", gift.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refund gift #%(id)s") % {"id": gift.pk},
            "gift": gift,
            "refunds": gift.refunds.all(),
            "receipts": gift.receipts.filter(status="issued"),
            "summaries": Receipt.objects.filter(
                lines__gift=gift, lines__active=True, status="issued"
            ),
            "form": form,
            "opts": self.model._meta,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(
            request, "admin/payments/gift/refund.html", context, status=status
        )

    actions = ["issue_missing_receipts"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=_("Issue missing receipts of the selected paid gifts"),
        permissions=["issue_receipts"],
    )
    def issue_missing_receipts(self, request, queryset):
        from receipts.tasks import receipt_enqueue

        # Gifts receipted on an annual summary or not at all get none here.
        gifts = queryset.filter(
            status=Gift.Status.PAID, receipts__isnull=True, receipt_mode="per_gift"
        )
        queued = sum(receipt_enqueue(gift.pk) for gift in gifts)
        for gift in gifts:
            gift_record_event(gift, "receipt_requested", actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d receipt queued.", "%(count)d receipts queued.", queued)
            % {"count": queued},
        )

    def has_issue_receipts_permission(self, request):
        return request.user.has_perm("receipts.add_receipt")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        gift = obj

        class GiftEditForm(form):
            """What staff may still set, checked: a receipt already issued is
            frozen, so its gift's date no longer moves."""

            def clean_received_on(self):
                day = self.cleaned_data.get("received_on")
                if gift is None or day == gift.received_on:
                    return day
                if gift.receipts.filter(status="issued").exists():
                    raise forms.ValidationError(
                        _(
                            "This gift's receipt is issued: cancel or replace it "
                            "before changing the date."
                        )
                    )
                if day is not None:
                    problem = received_on_problem(day, gift.campaign)
                    if problem:
                        raise forms.ValidationError(problem)
                return day

            def clean_counterpart_value(self):
                value = self.cleaned_data.get("counterpart_value")
                if gift is None or value is None:
                    return value
                if value.amount < 0 or value.amount > gift.amount.amount:
                    raise forms.ValidationError(
                        _("A counterpart is worth between zero and the gift's amount.")
                    )
                return value

        return GiftEditForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            # In the admin's transaction: the edit and its trace go together.
            gift_record_event(
                obj,
                "edited",
                actor=request.user,
                **{name: _event_value(obj, name) for name in form.changed_data},
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


def _event_value(gift, name):
    value = getattr(gift, name)
    if isinstance(value, Money):
        return f"{value.amount} {value.currency}"
    return value.isoformat() if value is not None else None


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


class RecurringEventInline(AppendOnlyInline):
    model = RecurringEvent
    fields = ("at", "kind", "actor", "data")


class RecurringGiftPaymentInline(admin.TabularInline):
    model = Gift
    fk_name = "recurring"
    fields = ("period", "amount", "status", "paid_at", "failure_code")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-period",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RecurringGift)
class RecurringGiftAdmin(admin.ModelAdmin):
    """Monthly gifts: read here, changed only by the donor's link or the
    actions below (for a donor who asks by phone or letter)."""

    list_display = (
        "id",
        "campaign",
        "donor",
        "amount",
        "method",
        "status",
        "next_charge_on",
        "retry_on",
    )
    list_filter = ("status", "method", "pause_reason", "campaign")
    search_fields = ("id", "donor__email", "donor__last_name", "stripe_customer_id")
    list_select_related = ("campaign", "donor")
    readonly_fields = [f.name for f in RecurringGift._meta.fields]
    inlines = [RecurringGiftPaymentInline, RecurringEventInline]
    actions = ["pause_selected", "stop_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _apply(self, request, queryset, change, done):
        count, skipped = 0, 0
        for plan in queryset:
            try:
                change(plan, actor=request.user)
                count += 1
            except RecurringStateError:
                skipped += 1
        self.message_user(request, done % {"count": count}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                _("%(count)s left as they were: not in a state that allows it.")
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Pause the selected monthly gifts"),
                  permissions=["change"])  # fmt: skip
    def pause_selected(self, request, queryset):
        self._apply(request, queryset, recurring_pause, _("%(count)s paused."))

    @admin.action(description=_("Stop the selected monthly gifts"),
                  permissions=["change"])  # fmt: skip
    def stop_selected(self, request, queryset):
        self._apply(request, queryset, recurring_stop, _("%(count)s stopped."))


@admin.register(Mandate)
class MandateAdmin(ReadOnlyAdmin):
    list_display = ("id", "donor", "iban_country", "iban_last4", "accepted_at")
    search_fields = ("donor__email", "reference")
    readonly_fields = [f.name for f in Mandate._meta.fields]
