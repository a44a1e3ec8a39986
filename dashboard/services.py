"""State changes of the dashboard's stored aggregate, DailyTotal.

The two ``daily_total_record_*`` functions are called from
campaigns.services, inside the transactions that pay and refund a gift and
under the campaign's row lock, so the aggregate moves with the campaign's
totals. They must never make a payment or a refund fail: a database error
here is logged, rolled back to a savepoint, and left for
``rebuild_daily_totals`` to repair.
"""

import logging
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import DatabaseError, connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Greatest, Least, TruncDate
from djmoney.money import Money

from campaigns.models import Campaign
from campaigns.valuation import VALUE_COLUMNS, rows_values
from dashboard.models import DailyTotal
from payments.models import Gift

logger = logging.getLogger(__name__)

# Days are the foundation's days, whatever the server's or user's zone.
PARIS = ZoneInfo("Europe/Paris")


# An upsert, so that two first gifts of a day never collide on the unique
# constraint, even without the campaign lock. The table is DailyTotal's.
UPSERT_PAID_GIFT = """
    INSERT INTO dashboard_dailytotal
        (campaign_id, day, method, monthly, source, gifts, amount, refunded)
    VALUES (%s, %s, %s, %s, %s, 1, %s, 0)
    ON CONFLICT (campaign_id, day, method, monthly, source) DO UPDATE SET
        gifts = dashboard_dailytotal.gifts + 1,
        amount = dashboard_dailytotal.amount + EXCLUDED.amount
"""


def paris_day(moment):
    return moment.astimezone(PARIS).date()


def _row_key(gift: Gift) -> dict:
    """The row a gift counts in: its day, method, kind and source."""
    return {
        "campaign_id": gift.campaign_id,
        "day": paris_day(gift.paid_at),
        "method": gift.method,
        "monthly": gift.recurring_id is not None,
        "source": gift.utm_source,
    }


def daily_total_record_paid_gift(*, gift: Gift, value: Decimal | None = None) -> None:
    """Count a newly paid gift on its Paris day and method.

    ``value`` is the gift's value in the campaign's currency
    (campaigns.valuation), zero while a foreign gift awaits its rate; by
    default the amount of a gift in the campaign's currency.
    """
    if value is None:
        value = gift.amount.amount
    params = list(_row_key(gift).values())
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(UPSERT_PAID_GIFT, [*params, value])
    except DatabaseError:
        logger.exception(
            "daily total not updated for gift %s; run rebuild_daily_totals",
            gift.pk,
            extra={"gift_id": gift.pk, "campaign_id": gift.campaign_id},
        )


def daily_total_record_refund(*, gift: Gift, amount: Money, fully: bool) -> None:
    """Count a refund, worth ``amount`` in the campaign's currency, on the day
    its gift was paid.

    A row can be missing or short only for gifts paid before the aggregate
    was first rebuilt; the bounds keep it valid then, and the next rebuild
    makes it exact.
    """
    _update_gift_day(
        gift,
        "refund",
        gifts=Greatest(F("gifts") - (1 if fully else 0), 0),
        refunded=Least(F("refunded") + amount.amount, F("amount")),
    )


def daily_total_record_conversion(
    *, gift: Gift, gross: Decimal, refunded: Decimal
) -> None:
    """Add the value of a gift converted after it was paid to its day's row.

    ``gross`` is its whole value and ``refunded`` the part refunded since it
    was paid, both in the campaign's currency.
    """
    _update_gift_day(
        gift,
        "conversion",
        amount=F("amount") + gross,
        refunded=F("refunded") + refunded,
    )


def _update_gift_day(gift: Gift, what: str, **changes) -> None:
    """Apply ``changes`` to the row of the day a gift was paid, never failing."""
    try:
        with transaction.atomic():
            updated = DailyTotal.objects.filter(**_row_key(gift)).update(**changes)
    except DatabaseError:
        updated = None
        logger.exception(
            "daily total not updated for the %s of gift %s", what, gift.pk,
            extra={"gift_id": gift.pk, "campaign_id": gift.campaign_id},
        )  # fmt: skip
    if updated == 0:
        logger.warning(
            "no daily total for the %s of gift %s; run rebuild_daily_totals",
            what,
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
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        currency = campaign.currency
        counted = Gift.objects.filter(
            campaign_id=campaign_id,
            status__in=[Gift.Status.PAID, Gift.Status.REFUNDED],
            paid_at__isnull=False,
        )
        counted = counted.annotate(
            paid_on=TruncDate("paid_at", tzinfo=PARIS),
            is_monthly=ExpressionWrapper(
                Q(recurring__isnull=False), output_field=BooleanField()
            ),
        )
        grouped = (
            counted.values("paid_on", "method", "is_monthly", "utm_source")
            .annotate(
                kept=Count("pk", filter=Q(status=Gift.Status.PAID)),
                gross=Sum("amount", filter=Q(amount_currency=currency)),
                back=Sum("refunded_amount", filter=Q(amount_currency=currency)),
            )
            .order_by()
        )
        rows = {
            (
                row["paid_on"],
                row["method"],
                row["is_monthly"],
                row["utm_source"],
            ): DailyTotal(
                campaign_id=campaign_id,
                day=row["paid_on"],
                method=row["method"],
                monthly=row["is_monthly"],
                source=row["utm_source"],
                gifts=row["kept"],
                amount=row["gross"] or 0,
                refunded=row["back"] or 0,
            )
            for row in grouped
        }
        # Gifts in other currencies, at the values they were counted at live.
        foreign = counted.exclude(amount_currency=currency).values_list(
            *VALUE_COLUMNS, "paid_on", "method", "is_monthly", "utm_source"
        )
        for gross, kept, *key in rows_values(foreign, currency):
            row = rows[tuple(key)]
            row.amount += gross
            row.refunded += gross - kept
        rows = list(rows.values())
        DailyTotal.objects.filter(campaign_id=campaign_id).delete()
        DailyTotal.objects.bulk_create(rows, batch_size=1000)
    logger.info(
        "daily totals of campaign %s rebuilt: %s rows",
        campaign_id,
        len(rows),
        extra={"campaign_id": campaign_id},
    )
    return len(rows)
