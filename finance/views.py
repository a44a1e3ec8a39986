from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone

from finance.exports import (
    ExportError,
    csv_lines,
    donation_rows,
    parse_format,
    parse_year,
)


@staff_member_required
@permission_required("payments.view_gift", raise_exception=True)
def export_donations(request):
    try:
        year = parse_year(request.GET.get("year", timezone.localdate().year))
        parse_format(request.GET.get("format", "csv"))
    except ExportError as exc:
        return HttpResponseBadRequest(str(exc))
    response = StreamingHttpResponse(
        csv_lines(donation_rows(year)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="donations-{year}.csv"'
    return response
