"""The emails a monthly gift owes its donor, sent once each.

A notice is a row first (``payments.recurring._notice``) and an email second:
the task sends it under the row's lock, and the sweep queues again what a
lost message left unsent.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from payments.models import Gift, RecurringGift, RecurringNotice
from payments.recurring import recurring_record_event
from payments.recurring_links import authenticate_url, manage_url

logger = logging.getLogger(__name__)


def _still_relevant(notice) -> bool:
    plan = notice.recurring
    if notice.kind == RecurringNotice.Kind.FIRST_FAILED:
        return True
    if plan.status == RecurringGift.Status.STOPPED:
        return False
    kind = RecurringNotice.Kind
    if notice.kind == kind.AUTHENTICATE:
        gift = notice.gift
        return gift is not None and gift.status == Gift.Status.PENDING
    if notice.kind == kind.DECLINED:
        return plan.status == RecurringGift.Status.ACTIVE and plan.retry_on is not None
    if notice.kind == kind.CARD_EXPIRING:
        return plan.status == RecurringGift.Status.ACTIVE
    return True


def recurring_send_notice(notice_id: int) -> bool:
    """Email a notice once; True if sent now.

    As for receipts, the row lock is held while the mail goes out: two
    workers cannot both send it. A notice that no longer applies (the
    payment was authenticated meanwhile, the gift was stopped) is closed
    without an email.
    """
    from receipts.emails import donor_email

    with transaction.atomic():
        notice = (
            RecurringNotice.objects.select_for_update(of=("self",))
            .select_related("recurring__donor", "recurring__campaign", "gift")
            .get(pk=notice_id)
        )
        if notice.sent_at:
            return False
        plan = notice.recurring
        relevant = _still_relevant(notice)
        if relevant:
            context = {
                "plan": plan,
                "campaign": plan.campaign,
                "gift": notice.gift,
                "manage_url": manage_url(plan),
            }
            if notice.kind == RecurringNotice.Kind.AUTHENTICATE:
                context["authenticate_url"] = authenticate_url(notice.gift)
            donor_email(f"monthly_{notice.kind}", plan.donor, context).send()
        notice.sent_at = timezone.now()
        notice.save(update_fields=["sent_at"])
        recurring_record_event(
            plan,
            "notice_sent" if relevant else "notice_dropped",
            notice=notice.kind,
            key=notice.key,
        )
    logger.info(
        "monthly gift %s: %s notice %s",
        plan.pk,
        notice.kind,
        "emailed" if relevant else "no longer needed",
        extra={"recurring_id": plan.pk},
    )
    return relevant


def unsent_notice_ids(min_age_seconds: int = 120) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=min_age_seconds)
    return list(
        RecurringNotice.objects.filter(
            sent_at__isnull=True, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )
