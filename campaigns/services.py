"""State changes of campaigns: the running totals behind every page.

Every gift counts for its value in the campaign's currency
(campaigns.valuation), from amounts stored on the gift, never from a rate
read again, so ``campaign_recompute_totals`` gives the live totals' cents.
"""

import logging
from decimal import Decimal

from django.db import transaction
from djmoney.money import Money

from campaigns.models import Campaign
from campaigns.valuation import (
    VALUE_COLUMNS,
    CurrencyMismatch,
    gift_value,
    gift_value_refunded,
    rows_values,
)
from dashboard.services import (
    daily_total_record_conversion,
    daily_total_record_paid_gift,
    daily_total_record_refund,
    daily_totals_rebuild,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CurrencyMismatch",
    "campaign_record_converted_gift",
    "campaign_record_paid_gift",
    "campaign_record_refund",
    "campaign_recompute_totals",
]


def campaign_record_paid_gift(*, gift) -> None:
    """Add a newly paid gift to its campaign's totals.

    Must run inside the transaction that marks the gift paid, so totals and
    gift states never disagree. The campaign row is locked, which serialises
    concurrent payments to one campaign; the donor count asks whether this
    donor had already paid a gift to it. A foreign gift not yet converted
    counts as a gift now and for its value once converted
    (``campaign_record_converted_gift``).
    """
    from payments.models import Gift

    campaign = Campaign.objects.select_for_update().get(pk=gift.campaign_id)
    # Not GIFT_CURRENCIES: a gift created before a currency was withdrawn
    # is still paid and counted. Only a value that cannot exist is refused.
    value = gift_value(gift, campaign.currency)

    new_donor = (
        not Gift.objects.filter(
            campaign_id=campaign.pk, donor_id=gift.donor_id, status=Gift.Status.PAID
        )
        .exclude(pk=gift.pk)
        .exists()
    )
    if value is not None:
        campaign.raised += Money(value, campaign.currency)
    campaign.gift_count += 1
    if new_donor:
        campaign.donor_count += 1
    campaign.save(update_fields=["raised", "gift_count", "donor_count", "updated_at"])
    daily_total_record_paid_gift(gift=gift, value=value or Decimal("0.00"))
    logger.info(
        "campaign %s total now %s after gift %s",
        campaign.pk,
        campaign.raised.amount,
        gift.pk,
        extra={"campaign_id": campaign.pk, "gift_id": gift.pk},
    )


def campaign_record_converted_gift(*, gift) -> None:
    """Add the value of a counted gift that has just been converted to euros.

    For a gift paid while its rate was missing: it was counted as a gift
    then, and its value joins the totals now, net of any refund made since.
    Runs in the transaction that stores the conversion.
    """
    campaign = Campaign.objects.select_for_update().get(pk=gift.campaign_id)
    gross = gift_value(gift, campaign.currency, kept=gift.amount.amount)
    kept = gift_value(gift, campaign.currency)
    campaign.raised += Money(kept, campaign.currency)
    campaign.save(update_fields=["raised", "updated_at"])
    daily_total_record_conversion(gift=gift, gross=gross, refunded=gross - kept)
    logger.info(
        "campaign %s total now %s after converting gift %s",
        campaign.pk,
        campaign.raised.amount,
        gift.pk,
        extra={"campaign_id": campaign.pk, "gift_id": gift.pk},
    )


def campaign_recompute_totals(campaign_id: int) -> Campaign:
    """Rebuild one campaign's totals from its paid gifts (repair tool).

    Its daily figures for the staff dashboard are rebuilt with them.
    """
    from django.db.models import Count, F, Sum

    from payments.models import Gift

    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        paid = Gift.objects.filter(campaign_id=campaign_id, status=Gift.Status.PAID)
        # Net of partial refunds, as campaign_record_refund keeps it live.
        agg = paid.aggregate(
            gifts=Count("id"),
            donors=Count("donor", distinct=True),
        )
        same = paid.filter(amount_currency=campaign.currency).aggregate(
            total=Sum(F("amount") - F("refunded_amount"))
        )
        total = same["total"] or Decimal("0.00")
        # Gifts in other currencies, each rounded as it was counted live.
        foreign = paid.exclude(amount_currency=campaign.currency).values_list(
            *VALUE_COLUMNS
        )
        total += sum(kept for _whole, kept in rows_values(foreign, campaign.currency))
        campaign.raised = Money(total, campaign.currency)
        campaign.gift_count = agg["gifts"]
        campaign.donor_count = agg["donors"]
        campaign.save(
            update_fields=["raised", "gift_count", "donor_count", "updated_at"]
        )
    daily_totals_rebuild(campaign_id)
    return campaign


def campaign_record_refund(*, gift, amount: Money, fully: bool) -> None:
    """Take a refund off its campaign's totals, in the refund's transaction.

    ``amount`` is in the gift's currency and already counted on the gift;
    the campaign loses the matching share of the gift's value. A fully
    refunded gift no longer counts as a gift, and its donor no longer
    counts as a donor unless they have another paid gift to the campaign.
    """
    from payments.models import Gift

    campaign = Campaign.objects.select_for_update().get(pk=gift.campaign_id)
    value = gift_value_refunded(gift, campaign.currency, amount.amount)
    refunded = Money(value, campaign.currency)
    campaign.raised -= refunded
    if fully:
        campaign.gift_count -= 1
        still_giving = (
            Gift.objects.filter(
                campaign_id=campaign.pk, donor_id=gift.donor_id, status=Gift.Status.PAID
            )
            .exclude(pk=gift.pk)
            .exists()
        )
        if not still_giving:
            campaign.donor_count -= 1
    campaign.save(update_fields=["raised", "gift_count", "donor_count", "updated_at"])
    daily_total_record_refund(gift=gift, amount=refunded, fully=fully)
