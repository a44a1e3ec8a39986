from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from campaigns.models import Campaign
from wall.selectors import wall_entries, wall_gifts

PAGE_SIZE = 30


@require_safe
def campaign_wall(request, slug):
    """Every paid gift of a public campaign, newest first, a page at a time."""
    campaign = get_object_or_404(
        Campaign.objects.exclude(status=Campaign.Status.DRAFT), slug=slug
    )
    # get_page turns a missing or nonsense page number into the first or last
    # page rather than an error.
    page = Paginator(wall_gifts(campaign), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "wall/campaign_wall.html",
        {"campaign": campaign, "page": page, "entries": wall_entries(page)},
    )
