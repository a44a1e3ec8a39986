"""Where a gift came from: the UTM tags of the link that brought the donor.

No cookie is set for this. The tags travel in the address: the campaign
page's and the widget's Donate links carry them on to the donate page, whose
form posts them with the gift. They are cleaned to short lowercase words so
that a hand-made link cannot put markup or a whole sentence in a report.
"""

import re
from urllib.parse import urlencode

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
MAX_LENGTH = 60
_UNSAFE = re.compile(r"[^a-z0-9._+-]+")


def clean_tag(value: str) -> str:
    value = _UNSAFE.sub("-", (value or "").strip().lower()).strip("-")
    return value[:MAX_LENGTH]


def utm_from(query) -> dict[str, str]:
    """The cleaned tags present in a query dict (request.GET or POST)."""
    tags = {field: clean_tag(query.get(field, "")) for field in UTM_FIELDS}
    return {field: value for field, value in tags.items() if value}


def utm_query(query) -> str:
    """``?utm_source=…`` to append to a link, or ""."""
    tags = utm_from(query)
    return f"?{urlencode(tags)}" if tags else ""
