"""State changes of wall messages and dedications.

Logs name gifts and donors by id only: never a message, a name or an email.
"""

import logging

from django.db import transaction
from django.utils import timezone

from payments.models import Gift
from receipts.emails import foundation_email
from wall.models import Dedication, WallMessage

logger = logging.getLogger(__name__)


def wall_record_for_gift(gift: Gift, *, message: str, dedication: dict | None):
    """Store what the donor added to a new gift; nothing is public yet.

    Call in the transaction that creates the gift, so the gift and its
    message or dedication are stored together or not at all.
    """
    if message:
        WallMessage.objects.create(gift=gift, text=message)
    if dedication:
        Dedication.objects.create(gift=gift, **dedication)
    if message or dedication:
        logger.info(
            "gift %s: wall message %s, dedication %s, card %s",
            gift.pk,
            bool(message),
            dedication["kind"] if dedication else None,
            bool(dedication and dedication["recipient_email"]),
            extra={"gift_id": gift.pk},
        )


def wall_messages_moderate(message_ids, *, approve: bool, actor) -> int:
    """Approve or reject messages; returns how many changed."""
    status = WallMessage.Status.APPROVED if approve else WallMessage.Status.REJECTED
    with transaction.atomic():
        changed = list(
            WallMessage.objects.select_for_update()
            .filter(pk__in=message_ids)
            .exclude(status=status)
            .values_list("pk", flat=True)
        )
        WallMessage.objects.filter(pk__in=changed).update(
            status=status, moderated_at=timezone.now(), moderated_by=actor
        )
    logger.info(
        "wall messages %s %s by user %s",
        changed,
        status,
        getattr(actor, "pk", None),
    )
    return len(changed)


def dedication_send_card(gift_id: int) -> bool:
    """Email the dedication card of a paid gift once; True if sent now.

    The row lock is held while the mail goes out, so two workers cannot both
    send it; a worker that dies between sending and committing makes the
    retry send a second copy (rare, and better than none).
    """
    with transaction.atomic():
        dedication = (
            Dedication.objects.select_for_update(of=("self",))
            .select_related("gift__donor", "gift__campaign")
            .filter(gift_id=gift_id)
            .first()
        )
        if (
            dedication is None
            or not dedication.has_card
            or dedication.card_sent_at
            or dedication.gift.status != Gift.Status.PAID
        ):
            return False
        gift = dedication.gift
        donor = gift.donor
        foundation_email(
            "wall/email/card",
            to=dedication.recipient_email,
            language=gift.language,
            # Never the gift itself: the card must not reveal the amount.
            context={
                "dedication": dedication,
                "campaign": gift.campaign,
                "donor_name": "" if gift.anonymous else donor.display_name,
            },
        ).send()
        dedication.card_sent_at = timezone.now()
        dedication.save(update_fields=["card_sent_at"])
    logger.info("gift %s: dedication card sent", gift_id, extra={"gift_id": gift_id})
    return True


def wall_erase_donor(donor_id: int) -> int:
    """Erase what the donor wrote about others and for the wall.

    The honoured person's name, the card's recipient and words, and the
    public messages go; the dedication's kind stays with the gift. Returns
    how many rows were erased.
    """
    now = timezone.now()
    with transaction.atomic():
        dedications = Dedication.objects.filter(
            gift__donor_id=donor_id, erased_at__isnull=True
        ).update(
            honoree_name="",
            recipient_name="",
            recipient_email="",
            card_message="",
            erased_at=now,
        )
        messages = (
            WallMessage.objects.filter(gift__donor_id=donor_id)
            .exclude(text="")
            .update(
                text="",
                status=WallMessage.Status.REJECTED,
                moderated_at=now,
                moderated_by=None,
            )
        )
    logger.info(
        "donor %s: %s dedications and %s wall messages erased",
        donor_id,
        dedications,
        messages,
        extra={"donor_id": donor_id},
    )
    return dedications + messages
