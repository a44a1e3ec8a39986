from django import template

from wall.selectors import wall_entries, wall_gifts

register = template.Library()

# How many of the newest gifts the campaign page shows; the rest are on the
# wall's own pages.
PREVIEW_SIZE = 10


@register.inclusion_tag("wall/_wall.html")
def donor_wall(campaign):
    rows = list(wall_gifts(campaign)[: PREVIEW_SIZE + 1])
    return {
        "campaign": campaign,
        "entries": wall_entries(rows[:PREVIEW_SIZE]),
        "has_more": len(rows) > PREVIEW_SIZE,
    }
