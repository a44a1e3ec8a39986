"""State changes of campaigns: the running totals behind every page."""

import logging

from django.db import transaction
from djmoney.money import Money

from campaigns.models import Campaign
from dashboard.services import (
    daily_total_record_paid_gift,
    daily_total_record_refund,
    daily_totals_rebuild,
)

logger = logging.getLogger(__name__)


class CurrencyMismatch(ValueError):
    pass


def campaign_record_paid_gift(*, gift) -> None:
    """Add a newly paid gift to its campaign's totals.

    Must run inside the transaction that marks the gift paid, so totals and
    gift states never disagree. The campaign row is locked, which serialises
    concurrent payments to one campaign; the donor count asks whether this
    donor had already paid a gift to it.
    """
    from payments.models import Gift

    campaign = Campaign.objects.select_for_update().get(pk=gift.campaign_id)
    if str(gift.amount.currency) != campaign.currency:
        raise CurrencyMismatch(
            f"gift {gift.pk} is in {gift.amount.currency}, campaign in {campaign.currency}"
        )

    new_donor = (
        not Gift.objects.filter(
            campaign_id=campaign.pk, donor_id=gift.donor_id, status=Gift.Status.PAID
        )
        .exclude(pk=gift.pk)
        .exists()
    )
    campaign.raised += gift.amount
    campaign.gift_count += 1
    if new_donor:
        campaign.donor_count += 1
    campaign.save(update_fields=["raised", "gift_count", "donor_count", "updated_at"])
    daily_total_record_paid_gift(gift=gift)
    logger.info(
        "campaign %s total now %s after gift %s",
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
            total=Sum(F("amount") - F("refunded_amount")),
            gifts=Count("id"),
            donors=Count("donor", distinct=True),
        )
        campaign.raised = Money(agg["total"] or 0, campaign.currency)
        campaign.gift_count = agg["gifts"]
        campaign.donor_count = agg["donors"]
        campaign.save(
            update_fields=["raised", "gift_count", "donor_count", "updated_at"]
        )
    daily_totals_rebuild(campaign_id)
    return campaign


def campaign_record_refund(*, gift, amount: Money, fully: bool) -> None:
    """Take a refund off its campaign's totals, in the refund's transaction.

    A fully refunded gift no longer counts as a gift, and its donor no longer
    counts as a donor unless they have another paid gift to the campaign.
    """
    from payments.models import Gift

    campaign = Campaign.objects.select_for_update().get(pk=gift.campaign_id)
    campaign.raised -= amount
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
    daily_total_record_refund(gift=gift, amount=amount, fully=fully)
