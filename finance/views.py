import logging

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import (
    FileResponse,
    Http404,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from campaigns.models import Campaign
from finance.bundles import FIRST_YEAR, LAST_YEAR, BundleRefused, bundle_request
from finance.exports import (
    ExportError,
    csv_lines,
    donation_rows,
    parse_format,
    parse_year,
)
from finance.models import ReceiptBundle
from roles.audit import audit_record

logger = logging.getLogger(__name__)

RECENT_BUNDLES = 20


@staff_member_required
@permission_required("payments.view_gift", raise_exception=True)
def export_donations(request):
    try:
        year = parse_year(request.GET.get("year", timezone.localdate().year))
        parse_format(request.GET.get("format", "csv"))
    except ExportError as exc:
        # Plain text: the message quotes what was typed in the URL.
        return HttpResponseBadRequest(
            str(exc), content_type="text/plain; charset=utf-8"
        )
    audit_record(request.user, "export.donations_downloaded", None, year=year)
    response = StreamingHttpResponse(
        csv_lines(donation_rows(year)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="donations-{year}.csv"'
    return response


# === Receipt bundles ===


class CampaignChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, campaign):
        return f"{campaign.title} ({campaign.slug})"


class BundleRequestForm(forms.Form):
    year = forms.IntegerField(
        label=_("Year"),
        help_text=_("The year in the receipt numbers: 2026 for 2026-000123."),
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
    )
    campaign = CampaignChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.order_by("-starts_on", "slug"),
        required=False,
        empty_label=_("All campaigns"),
    )


def _staff_page(request, template, context, status=200):
    # The admin's frame (header, breadcrumbs, sidebar) so the page reads as
    # part of the back office staff already use.
    return render(
        request,
        template,
        {**admin.site.each_context(request), **context},
        status=status,
    )


def _bundle_state(bundle: ReceiptBundle) -> dict:
    return {
        "status": bundle.status,
        "status_label": str(bundle.get_status_display()),
        "done_count": bundle.done_count,
        "total": bundle.total,
        "percent": bundle.percent,
        "progress_label": bundle.progress_label,
        "error": bundle.error,
        "download_url": (
            reverse("finance:bundle_download", kwargs={"token": bundle.token})
            if bundle.status == ReceiptBundle.Status.DONE
            else None
        ),
    }


@staff_member_required
@permission_required("receipts.view_receipt", raise_exception=True)
@require_http_methods(["GET", "POST"])
def bundle_list(request):
    status = 200
    if request.method == "POST":
        form = BundleRequestForm(request.POST)
        if form.is_valid():
            try:
                bundle = bundle_request(
                    year=form.cleaned_data["year"],
                    campaign=form.cleaned_data["campaign"],
                    user=request.user,
                )
            except BundleRefused as exc:
                form.add_error(None, str(exc))
            else:
                return redirect(bundle)
        status = 400
    else:
        form = BundleRequestForm(initial={"year": timezone.localdate().year})

    bundles = ReceiptBundle.objects.select_related("campaign", "requested_by")
    context = {
        "title": _("Receipt bundles"),
        "form": form,
        "bundles": bundles[:RECENT_BUNDLES],
    }
    return _staff_page(request, "finance/bundle_list.html", context, status=status)


@staff_member_required
@permission_required("receipts.view_receipt", raise_exception=True)
@require_GET
def bundle_detail(request, token):
    bundle = get_object_or_404(
        ReceiptBundle.objects.select_related("campaign", "requested_by"), token=token
    )
    context = {"title": _("Receipt bundle"), "bundle": bundle}
    return _staff_page(request, "finance/bundle_detail.html", context)


@staff_member_required
@permission_required("receipts.view_receipt", raise_exception=True)
@require_GET
def bundle_status(request, token):
    bundle = get_object_or_404(ReceiptBundle, token=token)
    response = JsonResponse(_bundle_state(bundle))
    # Polled every few seconds; a cached answer would freeze the bar.
    response["Cache-Control"] = "no-store"
    return response


@staff_member_required
@permission_required("receipts.view_receipt", raise_exception=True)
@require_GET
def bundle_download(request, token):
    bundle = get_object_or_404(
        ReceiptBundle.objects.select_related("campaign"),
        token=token,
        status=ReceiptBundle.Status.DONE,
    )
    try:
        handle = bundle.file.open("rb")
    except FileNotFoundError:
        logger.error(
            "receipt bundle %s is done but its file is missing",
            bundle.pk,
            extra={"bundle_id": bundle.pk},
        )
        raise Http404 from None
    audit_record(
        request.user,
        "bundle.downloaded",
        bundle,
        year=bundle.year,
        campaign=bundle.campaign_id,
    )
    logger.info(
        "receipt bundle %s downloaded by user %s",
        bundle.pk,
        request.user.pk,
        extra={"bundle_id": bundle.pk, "user_id": request.user.pk},
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=bundle.download_name,
        content_type="application/zip",
    )
