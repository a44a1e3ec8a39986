"""Reads for the donor wall and the donor's data export."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from payments.models import Gift
from wall.forms import LINK
from wall.models import Dedication, WallMessage

# What one wall row needs, so that no address or email is ever loaded for it.
WALL_VALUES = (
    "pk",
    "paid_at",
    "anonymous",
    "donor__kind",
    "donor__first_name",
    "donor__last_name",
    "donor__company_name",
)


@dataclass(frozen=True)
class WallEntry:
    name: str
    message: str
    paid_at: datetime


def public_name(row: dict) -> str:
    """ "Anne M." for a person, the company's name, or "Anonymous"."""
    if row["anonymous"]:
        return _("Anonymous")
    names = " ".join(
        (row["donor__company_name"], row["donor__first_name"], row["donor__last_name"])
    )
    if LINK.search(names):
        # A name is not moderated as a message is: one that carries a link
        # would make the wall an advert, so it is not shown.
        return _("Anonymous")
    if row["donor__kind"] == "company" and row["donor__company_name"].strip():
        return " ".join(row["donor__company_name"].split())[:80]
    first = row["donor__first_name"].split()
    last = row["donor__last_name"].strip()
    if not first:
        # Erased, or never given: nobody to name.
        return _("Anonymous")
    return f"{first[0]} {last[0].upper()}." if last else first[0]


def wall_gifts(campaign):
    """Paid gifts of the campaign, newest first, as wall rows (values).

    Served by the (campaign, -paid_at) index of payments.Gift; slice it (a
    page, the newest ten) and pass the slice to ``wall_entries``.
    """
    return (
        Gift.objects.filter(campaign=campaign, status=Gift.Status.PAID)
        .order_by("-paid_at", "-pk")
        .values(*WALL_VALUES)
    )


def wall_entries(rows) -> list[WallEntry]:
    """The wall's entries for a slice of ``wall_gifts``: two queries in all.

    The approved messages are read by gift id in a second query rather than
    joined: a join lets a planner with stale statistics (after a bulk import)
    scan every approved message for every paid gift.
    """
    rows = list(rows)
    messages = dict(
        WallMessage.objects.filter(
            gift_id__in=[row["pk"] for row in rows],
            status=WallMessage.Status.APPROVED,
        ).values_list("gift_id", "text")
    )
    return [
        WallEntry(
            name=public_name(row),
            message=messages.get(row["pk"], ""),
            paid_at=row["paid_at"],
        )
        for row in rows
    ]


def wall_pending_count() -> int:
    """Messages of paid gifts that wait for a moderator."""
    return WallMessage.objects.filter(
        status=WallMessage.Status.PENDING, gift__status=Gift.Status.PAID
    ).count()


def _when(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def wall_export_for_donor(donor) -> list[dict]:
    """The donor's messages and dedications, for the donor's JSON export."""
    messages = {
        message.gift_id: message
        for message in WallMessage.objects.filter(gift__donor=donor)
    }
    dedications = {
        dedication.gift_id: dedication
        for dedication in Dedication.objects.filter(gift__donor=donor)
    }
    gifts = Gift.objects.filter(pk__in=messages.keys() | dedications.keys())
    export = []
    for gift_id, token in gifts.order_by("-created_at").values_list("pk", "token"):
        message, dedication = messages.get(gift_id), dedications.get(gift_id)
        export.append(
            {
                "gift": str(token),
                "wall_message": {"text": message.text, "status": message.status}
                if message
                else None,
                "dedication": {
                    "kind": dedication.kind,
                    "honoree_name": dedication.honoree_name,
                    "card_recipient_name": dedication.recipient_name,
                    "card_recipient_email": dedication.recipient_email,
                    "card_message": dedication.card_message,
                    "card_sent_at": _when(dedication.card_sent_at),
                }
                if dedication
                else None,
            }
        )
    return export
