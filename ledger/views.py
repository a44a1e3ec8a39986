"""Staff pages of the scholarship ledger: a year, its close, its exports."""

import logging

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import Campaign
from ledger import exports
from ledger.selectors import LedgerError, year_ledger, year_range
from ledger.services import ledger_close_year

logger = logging.getLogger(__name__)


def _may_view(view):
    return staff_member_required(
        permission_required("ledger.view_ledgeryear", raise_exception=True)(view)
    )


def _campaign_and_year(slug: str, year: int | None = None):
    """The campaign, which must have beneficiaries, and a year it covers."""
    campaign = get_object_or_404(
        Campaign.objects.filter(beneficiaries__isnull=False).distinct(), slug=slug
    )
    if year is not None and year not in year_range(campaign):
        raise Http404("no such ledger year")
    return campaign


@_may_view
@require_GET
def campaign_index(request, slug):
    campaign = _campaign_and_year(slug)
    years = year_range(campaign)
    current = min(max(timezone.localdate().year, years.start), years.stop - 1)
    return redirect("ledger:year", slug=slug, year=current)


@_may_view
@require_GET
def year_page(request, slug, year):
    campaign = _campaign_and_year(slug, year)
    context = {
        "campaign": campaign,
        "years": year_range(campaign),
        "year": year,
        "may_close": request.user.has_perm("ledger.close_year")
        and year < timezone.localdate().year,
    }
    try:
        context["ledger"] = year_ledger(campaign, year)
    except LedgerError as exc:
        context["error"] = str(exc)
    return render(request, "ledger/year.html", context)


@staff_member_required
@permission_required("ledger.close_year", raise_exception=True)
@require_POST
def close_year(request, slug, year):
    campaign = _campaign_and_year(slug, year)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm the closing."))
        return redirect("ledger:year", slug=slug, year=year)
    try:
        ledger_close_year(campaign_id=campaign.pk, year=year, actor=request.user)
    except LedgerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(year)s is closed; its surplus is carried into %(next)s.")
            % {"year": year, "next": year + 1},
        )
    return redirect("ledger:year", slug=slug, year=year)


@_may_view
@require_GET
def export(request, slug, year, fmt):
    campaign = _campaign_and_year(slug, year)
    separator = exports.SEPARATORS.get(request.GET.get("sep", "semicolon"))
    if separator is None:
        return HttpResponseBadRequest(_("The separator must be semicolon or comma."))
    try:
        ledger = year_ledger(campaign, year)
    except LedgerError as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain")

    if fmt == "xlsx":
        body = exports.ledger_xlsx(ledger)
        content_type = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        body = exports.ledger_csv(ledger, separator=separator)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    filename = exports.export_filename(ledger, fmt)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    logger.info(
        "ledger %s of campaign %s exported as %s by user %s",
        year,
        campaign.pk,
        fmt,
        request.user.pk,
        extra={"campaign_id": campaign.pk},
    )
    return response
