"""Signed links to a monthly gift: the donor's page and the 3-D Secure page.

No account and no password: a link is signed with the site's secret, for one
use (a salt per page) and for ``RECURRING_LINK_MAX_AGE_DAYS``.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from payments.models import Gift, RecurringGift

MANAGE_SALT = "mecene.monthly.manage"
AUTHENTICATE_SALT = "mecene.monthly.authenticate"


class LinkExpired(Exception):
    """A signed link that was genuine but is too old."""


class LinkInvalid(Exception):
    """A link that was not signed by us (forged, truncated, or for another use)."""


def manage_token(plan) -> str:
    return signing.dumps(str(plan.token), salt=MANAGE_SALT, compress=True)


def manage_url(plan) -> str:
    return settings.SITE_URL + reverse("monthly:manage", args=[manage_token(plan)])


def authenticate_url(gift) -> str:
    token = signing.dumps(str(gift.token), salt=AUTHENTICATE_SALT, compress=True)
    return settings.SITE_URL + reverse("monthly:authenticate", args=[token])


def _load(token: str, salt: str) -> str:
    max_age = timedelta(days=settings.RECURRING_LINK_MAX_AGE_DAYS)
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature as exc:
        raise LinkInvalid from exc


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise LinkInvalid from exc


def plan_from_token(token: str) -> RecurringGift:
    value = _uuid(_load(token, MANAGE_SALT))
    plan = RecurringGift.objects.select_related("campaign", "donor").filter(token=value)
    if not plan:
        raise LinkInvalid
    return plan[0]


def gift_from_authenticate_token(token: str) -> Gift:
    value = _uuid(_load(token, AUTHENTICATE_SALT))
    gift = Gift.objects.select_related("campaign", "recurring").filter(token=value)
    if not gift:
        raise LinkInvalid
    return gift[0]


def live_plans_with_links(donor) -> list[tuple[RecurringGift, str]]:
    """The donor's monthly gifts that can still be changed, with their links."""
    plans = RecurringGift.objects.filter(
        donor=donor,
        status__in=[RecurringGift.Status.ACTIVE, RecurringGift.Status.PAUSED],
    ).select_related("campaign")
    return [(plan, manage_url(plan)) for plan in plans]
