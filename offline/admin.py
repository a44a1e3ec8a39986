from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.forms import AmountField
from offline.models import Batch, BatchLine
from offline.selectors import donor_candidates
from offline.services import BatchRefused, batch_post, batch_problems


def accept_typed_amount(form, name: str) -> None:
    """Let a money field take "150,50" or "1 000" as the donate page does.

    djmoney's amount box is a number input that only takes "150.50". A
    read-only page (a posted batch) has no such field.
    """
    field = form.fields.get(name)
    if field is None:
        return
    amount = AmountField(
        max_digits=field.fields[0].max_digits,
        decimal_places=field.fields[0].decimal_places,
        localize=False,
    )
    field.fields = (amount, field.fields[1])
    field.widget.widgets[0] = forms.TextInput(attrs={"inputmode": "decimal"})


class BatchLineForm(forms.ModelForm):
    class Meta:
        model = BatchLine
        # What staff type; ``gift`` is set by posting only.
        fields = [
            f.name
            for f in BatchLine._meta.fields
            if f.editable and f.name not in ("id", "batch", "gift")
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        accept_typed_amount(self, "amount")


class BatchForm(forms.ModelForm):
    class Meta:
        model = Batch
        fields = ("campaign", "label", "expected_count", "expected_total")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        accept_typed_amount(self, "expected_total")

    def clean(self):
        data = super().clean()
        total, campaign = data.get("expected_total"), data.get("campaign")
        if total is not None and total.amount <= 0:
            self.add_error("expected_total", _("The total must be more than zero."))
        elif total is not None and campaign is not None:
            if str(total.currency) != campaign.currency:
                self.add_error(
                    "expected_total",
                    _("The campaign takes %(currency)s.")
                    % {"currency": campaign.currency},
                )
        return data


class BatchLineInline(admin.StackedInline):
    model = BatchLine
    form = BatchLineForm
    extra = 1
    raw_id_fields = ("donor",)
    readonly_fields = ("candidates", "gift_link")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("method", "amount", "received_on"),
                    ("cheque_number", "cheque_bank", "cheque_date"),
                    "transfer_reference",
                    "beneficiary",
                    "anonymous",
                )
            },
        ),
        (
            _("Donor"),
            {
                "fields": (
                    "kind",
                    ("first_name", "last_name"),
                    ("company_name", "legal_form", "siren"),
                    "email",
                    "address_line",
                    ("postal_code", "city", "country"),
                    ("language", "taxed_in_france", "receipt_preference"),
                    "candidates",
                    ("donor_choice", "donor"),
                    "gift_link",
                )
            },
        ),
    )

    @admin.display(description=_("possible existing donors"))
    def candidates(self, line):
        if line.pk is None or line.gift_id:
            return "—"
        found = donor_candidates(line)
        if not found:
            return gettext("None: a new donor will be created.")
        return format_html_join(
            mark_safe("<br>"),  # noqa: S308 - a constant
            '<a href="{}" target="_blank">#{} {}</a> ({}, {} {})',
            (
                (
                    reverse("admin:donors_donor_change", args=[donor.pk]),
                    donor.pk,
                    donor.display_name,
                    donor.masked_email,
                    donor.postal_code,
                    donor.city,
                )
                for donor in found
            ),
        )

    @admin.display(description=_("gift"))
    def gift_link(self, line):
        if not line.gift_id:
            return "—"
        url = reverse("admin:payments_gift_change", args=[line.gift_id])
        return format_html('<a href="{}">{}</a>', url, line.gift)

    # Lines are part of their batch: whoever may type a batch may type its
    # lines, so the batch's own permissions govern them.
    def _may_edit(self, request, obj) -> bool:
        perm = "offline.add_batch" if obj is None else "offline.change_batch"
        return _is_draft(obj) and request.user.has_perm(perm)

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("offline.view_batch") or self._may_edit(
            request, obj
        )


def _is_draft(batch) -> bool:
    return batch is None or batch.status == Batch.Status.DRAFT


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    form = BatchForm
    change_form_template = "admin/offline/batch/change_form.html"
    list_display = (
        "id",
        "label",
        "campaign",
        "expected_count",
        "expected_total",
        "status",
        "created_by",
        "posted_by",
        "posted_at",
    )
    list_filter = ("status", "campaign")
    search_fields = ("id", "label")
    list_select_related = ("campaign", "created_by", "posted_by")
    readonly_fields = ("status", "created_by", "created_at", "posted_by", "posted_at")
    inlines = [BatchLineInline]

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/post/",
                self.admin_site.admin_view(self.post_view),
                name="offline_batch_post",
            )
        ]
        return extra + super().get_urls()

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request, obj=None):
        # A posted batch is history: its gifts live on in payments.
        return _is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_draft(obj) and super().has_delete_permission(request, obj)

    def post_view(self, request, pk):
        """Show what posting will do and the problems; post on confirmation."""
        if not request.user.has_perm("offline.post_batch"):
            raise PermissionDenied
        batch = get_object_or_404(Batch.objects.select_related("campaign"), pk=pk)
        problems = None
        if request.method == "POST":
            try:
                batch_post(batch.pk, actor=request.user)
            except BatchRefused as exc:
                problems = exc.problems
            else:
                messages.success(
                    request,
                    ngettext(
                        "The batch is posted: %(count)d gift, %(total)s.",
                        "The batch is posted: %(count)d gifts, %(total)s.",
                        batch.expected_count,
                    )
                    % {"count": batch.expected_count, "total": batch.expected_total},
                )
                return redirect("admin:offline_batch_change", batch.pk)
        lines = list(
            batch.lines.select_related("donor", "beneficiary", "batch__campaign")
        )
        if problems is None:
            problems = batch_problems(batch, lines)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Post %(batch)s") % {"batch": batch},
            "batch": batch,
            "lines": lines,
            "problems": problems,
            "opts": self.model._meta,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(
            request, "admin/offline/batch/post.html", context, status=status
        )
