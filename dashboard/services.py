"""State changes of the dashboard's stored aggregate, DailyTotal.

The two ``daily_total_record_*`` functions are called from
campaigns.services, inside the transactions that pay and refund a gift and
under the campaign's row lock, so the aggregate moves with the campaign's
totals. They must never make a payment or a refund fail: a database error
here is logged, rolled back to a savepoint, and left for
``rebuild_daily_totals`` to repair.
"""

import logging
from zoneinfo import ZoneInfo

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Greatest, Least, TruncDate
from djmoney.money import Money

from campaigns.models import Campaign
from dashboard.models import DailyTotal
from payments.models import Gift

logger = logging.getLogger(__name__)

# Days are the foundation's days, whatever the server's or user's zone.
PARIS = ZoneInfo("Europe/Paris")


# An upsert, so that two first gifts of a day never collide on the unique
# constraint, even without the campaign lock. The table is DailyTotal's.
UPSERT_PAID_GIFT = """
    INSERT INTO dashboard_dailytotal (campaign_id, day, method, gifts, amount, refunded)
    VALUES (%s, %s, %s, 1, %s, 0)
    ON CONFLICT (campaign_id, day, method) DO UPDATE SET
        gifts = dashboard_dailytotal.gifts + 1,
        amount = dashboard_dailytotal.amount + EXCLUDED.amount
"""


def paris_day(moment):
    return moment.astimezone(PARIS).date()


def daily_total_record_paid_gift(*, gift: Gift) -> None:
    """Count a newly paid gift on its Paris day and method.

    The caller has checked that the gift is in the campaign's currency.
    """
    params = [gift.campaign_id, paris_day(gift.paid_at), gift.method]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(UPSERT_PAID_GIFT, [*params, gift.amount.amount])
    except DatabaseError:
        logger.exception(
            "daily total not updated for gift %s; run rebuild_daily_totals",
            gift.pk,
            extra={"gift_id": gift.pk, "campaign_id": gift.campaign_id},
        )


def daily_total_record_refund(*, gift: Gift, amount: Money, fully: bool) -> None:
    """Count a refund on the day its gift was paid.

    A row can be missing or short only for gifts paid before the aggregate
    was first rebuilt; the bounds keep it valid then, and the next rebuild
    makes it exact.
    """
    try:
        with transaction.atomic():
            updated = DailyTotal.objects.filter(
                campaign_id=gift.campaign_id,
                day=paris_day(gift.paid_at),
                method=gift.method,
            ).update(
                gifts=Greatest(F("gifts") - (1 if fully else 0), 0),
                refunded=Least(F("refunded") + amount.amount, F("amount")),
            )
    except DatabaseError:
        updated = None
        logger.exception(
            "daily total not updated for the refund of gift %s", gift.pk,
            extra={"gift_id": gift.pk, "campaign_id": gift.campaign_id},
        )  # fmt: skip
    if updated == 0:
        logger.warning(
            "no daily total for refunded gift %s; run rebuild_daily_totals",
            gift.pk,
            extra={"gift_id": gift.pk, "campaign_id": gift.campaign_id},
        )


def daily_totals_rebuild(campaign_id: int) -> int:
    """Recompute one campaign's daily totals from its gifts; returns rows.

    Idempotent. The campaign row lock waits for payments and refunds in
    flight, and holds new ones until the new rows are in, so none is lost
    or counted twice.
    """
    with transaction.atomic():
        Campaign.objects.select_for_update().only("pk").get(pk=campaign_id)
        grouped = (
            Gift.objects.filter(
                campaign_id=campaign_id,
                status__in=[Gift.Status.PAID, Gift.Status.REFUNDED],
                paid_at__isnull=False,
            )
            .annotate(paid_on=TruncDate("paid_at", tzinfo=PARIS))
            .values("paid_on", "method")
            .annotate(
                kept=Count("pk", filter=Q(status=Gift.Status.PAID)),
                gross=Sum("amount"),
                back=Sum("refunded_amount"),
            )
            .order_by()
        )
        rows = [
            DailyTotal(
                campaign_id=campaign_id,
                day=row["paid_on"],
                method=row["method"],
                gifts=row["kept"],
                amount=row["gross"],
                refunded=row["back"],
            )
            for row in grouped
        ]
        DailyTotal.objects.filter(campaign_id=campaign_id).delete()
        DailyTotal.objects.bulk_create(rows, batch_size=1000)
    logger.info(
        "daily totals of campaign %s rebuilt: %s rows",
        campaign_id,
        len(rows),
        extra={"campaign_id": campaign_id},
    )
    return len(rows)
