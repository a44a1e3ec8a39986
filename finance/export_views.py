"""The export page, its downloads and its background jobs.

The page's form POSTs. "Download" (or a plain GET with the filters in the
query string, for scripts) answers with the file at once when the export is
small enough to stream (``MECENE_EXPORT_STREAM_ROWS``); a larger one shows
the page again, asking for a background job, which the other button
queues. Bad filters answer 400 and nothing is queued. A job's pages and file are its requester's only.
"""

import logging
import tempfile

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from finance.export_datasets import get_dataset
from finance.export_forms import ExportForm
from finance.export_jobs import export_job_request
from finance.export_writers import CONTENT_TYPES, csv_lines, write_xlsx
from finance.models import ExportJob
from roles.audit import audit_record

logger = logging.getLogger(__name__)

JOB_PERMISSION = "finance.add_exportjob"
RECENT_JOBS = 20


def _page(request, template, context, status=200):
    # The admin's frame, as on the receipt bundle pages.
    return render(
        request,
        template,
        {**admin.site.each_context(request), **context},
        status=status,
    )


def _check_dataset_permission(request, dataset) -> None:
    if not request.user.has_perm(dataset.permission):
        raise PermissionDenied


def _filename(form) -> str:
    filters = form.filters.as_params()
    parts = [form.cleaned_data["dataset"], str(filters.pop("year"))]
    parts += [str(value) for value in filters.values()]
    return "-".join(parts) + "." + form.cleaned_data["format"]


def _download(form):
    dataset, filters = form.chosen_dataset, form.filters
    name = _filename(form)
    if form.cleaned_data["format"] == "xlsx":
        # write_only streams rows to a temporary file; the response reads it
        # back and closes (so deletes) it.
        handle = tempfile.TemporaryFile()
        write_xlsx(
            handle, dataset.header, dataset.rows(filters), title=str(dataset.label)
        )
        handle.seek(0)
        return FileResponse(
            handle,
            as_attachment=True,
            filename=name,
            content_type=CONTENT_TYPES["xlsx"],
        )
    lines = csv_lines(
        dataset.header, dataset.rows(filters), separator=form.cleaned_data["separator"]
    )
    response = StreamingHttpResponse(lines, content_type=CONTENT_TYPES["csv"])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _my_jobs(request):
    return ExportJob.objects.filter(requested_by=request.user)[:RECENT_JOBS]


@staff_member_required
@permission_required(JOB_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def export_page(request):
    data = request.POST if request.method == "POST" else request.GET
    context = {"title": _("Finance exports"), "jobs": _my_jobs(request)}
    if request.method == "GET" and not data:
        context["form"] = ExportForm(initial={"format": "csv", "separator": ";"})
        return _page(request, "finance/export_page.html", context)

    form = ExportForm(data)
    context["form"] = form
    if not form.is_valid():
        logger.warning(
            "export refused for user %s: %s",
            request.user.pk,
            ", ".join(form.errors),
            extra={"user_id": request.user.pk},
        )
        return _page(request, "finance/export_page.html", context, status=400)
    dataset = form.chosen_dataset
    _check_dataset_permission(request, dataset)

    if request.method == "POST" and request.POST.get("action") != "download":
        job = export_job_request(
            dataset=dataset,
            filters=form.filters,
            fmt=form.cleaned_data["format"],
            separator=form.cleaned_data["separator"],
            user=request.user,
        )
        return redirect(job)

    rows = dataset.count(form.filters)
    if rows > settings.MECENE_EXPORT_STREAM_ROWS:
        context["too_large"] = rows
        return _page(request, "finance/export_page.html", context)
    logger.info(
        "export %s of about %s rows streamed to user %s",
        dataset.name,
        rows,
        request.user.pk,
        extra={"user_id": request.user.pk},
    )
    audit_record(
        request.user, f"export.{dataset.name}_downloaded", None,
        rows=rows, **form.filters.as_params(),
    )  # fmt: skip
    return _download(form)


def _own_job(request, token, **conditions) -> ExportJob:
    # Another user's job is not found rather than forbidden: its existence is
    # nobody else's business.
    return get_object_or_404(
        ExportJob, token=token, requested_by=request.user, **conditions
    )


def job_state(job: ExportJob) -> dict:
    """The shape the receipt bundles' progress script reads."""
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "done_count": job.row_count,
        "total": job.total,
        "percent": job.percent,
        "progress_label": job.progress_label,
        "error": job.error,
        "download_url": (
            reverse("finance:export_job_download", kwargs={"token": job.token})
            if job.status == ExportJob.Status.DONE
            else None
        ),
    }


@staff_member_required
@permission_required(JOB_PERMISSION, raise_exception=True)
@require_GET
def export_job(request, token):
    job = _own_job(request, token)
    context = {"title": _("Export job"), "job": job}
    return _page(request, "finance/export_job.html", context)


@staff_member_required
@permission_required(JOB_PERMISSION, raise_exception=True)
@require_GET
def export_job_status(request, token):
    response = JsonResponse(job_state(_own_job(request, token)))
    # Polled every few seconds; a cached answer would freeze the bar.
    response["Cache-Control"] = "no-store"
    return response


@staff_member_required
@permission_required(JOB_PERMISSION, raise_exception=True)
@require_GET
def export_job_download(request, token):
    job = _own_job(request, token)
    if job.status == ExportJob.Status.EXPIRED:
        context = {"title": _("Export job"), "job": job}
        return _page(request, "finance/export_job.html", context, status=410)
    if job.status != ExportJob.Status.DONE:
        raise Http404
    # Asked for while allowed; downloaded only while still allowed.
    dataset = get_dataset(job.dataset)
    if dataset is None:
        raise Http404
    _check_dataset_permission(request, dataset)
    try:
        handle = job.file.open("rb")
    except (FileNotFoundError, ValueError):
        logger.error(
            "export job %s is done but its file is missing",
            job.pk,
            extra={"export_job_id": job.pk},
        )
        raise Http404 from None
    logger.info(
        "export job %s downloaded by user %s",
        job.pk,
        request.user.pk,
        extra={"export_job_id": job.pk, "user_id": request.user.pk},
    )
    audit_record(
        request.user, f"export.{job.dataset}_downloaded", job, rows=job.row_count
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=job.download_name,
        content_type=CONTENT_TYPES[job.format],
    )
