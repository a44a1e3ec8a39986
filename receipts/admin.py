import logging

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mecene.admin import AppendOnlyInline
from receipts.corrections import receipt_duplicate_pdf
from receipts.integrity import StoredPdfProblem, receipt_read_pdf
from receipts.models import Receipt, ReceiptEvent, ReceiptLine

logger = logging.getLogger(__name__)


class ReceiptEventInline(AppendOnlyInline):
    model = ReceiptEvent


class ReceiptLineInline(admin.TabularInline):
    model = ReceiptLine
    extra = 0
    can_delete = False
    readonly_fields = ("gift", "amount", "active")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Receipt)
class ReceiptAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "status",
        "kind",
        "amount",
        "donor",
        "gift",
        "issued_at",
        "emailed_at",
        "download",
        "duplicate",
    )
    list_filter = ("status", "kind", "year", "form_code")
    list_select_related = ("donor", "gift")
    search_fields = (
        "number",
        "donor__last_name",
        "donor__company_name",
        "donor__email",
    )
    readonly_fields = [f.name for f in Receipt._meta.fields if f.name != "pdf"] + [
        "download",
        "duplicate",
    ]
    exclude = ("pdf",)
    inlines = [ReceiptLineInline, ReceiptEventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # An issued receipt is frozen: staff with the view permission see it
        # read-only; corrections are cancellations, never edits.
        return False

    @admin.display(description=_("PDF"))
    def download(self, receipt):
        url = reverse("admin:receipts_receipt_download", args=[receipt.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    @admin.display(description=_("Duplicate"))
    def duplicate(self, receipt):
        if receipt.status != Receipt.Status.ISSUED:
            return "—"
        url = reverse("admin:receipts_receipt_duplicate", args=[receipt.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download duplicate"))

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="receipts_receipt_download",
            ),
            path(
                "<int:pk>/duplicate/",
                self.admin_site.admin_view(self.duplicate_view),
                name="receipts_receipt_duplicate",
            ),
        ]
        return extra + super().get_urls()

    def download_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        receipt = get_object_or_404(Receipt, pk=pk)
        try:
            data = receipt_read_pdf(receipt)
        except StoredPdfProblem as exc:
            logger.error(
                "receipt %s: %s", receipt.number, exc, extra={"receipt_id": receipt.pk}
            )
            self.message_user(
                request,
                _("This receipt cannot be downloaded: %(problem)s. Run receipts_check.")
                % {"problem": exc},
                level=messages.ERROR,
            )
            return redirect("admin:receipts_receipt_change", receipt.pk)
        ReceiptEvent.objects.create(
            receipt=receipt, kind=ReceiptEvent.Kind.DOWNLOADED, actor=request.user
        )
        # A cancelled receipt is still shown to staff, named so no one sends it.
        prefix = "ANNULE-" if receipt.status == Receipt.Status.CANCELLED else ""
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{prefix}recu-fiscal-{receipt.number}.pdf"'
        )
        return response

    def duplicate_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        receipt = get_object_or_404(Receipt, pk=pk)
        try:
            pdf_bytes = receipt_duplicate_pdf(receipt.pk, actor=request.user)
        except ValueError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return redirect("admin:receipts_receipt_change", receipt.pk)
        response = HttpResponse(pdf_bytes, content_type="application/pdf")
        filename = f"recu-fiscal-{receipt.number}-duplicata.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
