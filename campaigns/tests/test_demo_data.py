"""The demo data: loads once, adds up, and leaves a clean receipt series."""

import pytest
from django.core.management import call_command
from django.db.models import Sum

from campaigns.models import Campaign
from payments.models import Gift, RecurringGift
from receipts.integrity import receipt_series_check

pytestmark = pytest.mark.django_db


def test_demo_data_loads_once_and_adds_up(capsys):
    call_command("load_demo_data", "--gifts", "30")
    call_command("load_demo_data", "--gifts", "30")
    assert "already loaded" in capsys.readouterr().out

    for campaign in Campaign.objects.all():
        paid = Gift.objects.filter(campaign=campaign, status=Gift.Status.PAID)
        assert campaign.gift_count == paid.count()
        assert campaign.raised.amount == (paid.aggregate(s=Sum("amount"))["s"] or 0)
    plans = RecurringGift.objects.filter(status=RecurringGift.Status.ACTIVE)
    assert plans.count() == 4
    assert {plan.gifts.count() for plan in plans} == {3}
    for year in {gift.tax_date.year for gift in Gift.objects.filter(status="paid")}:
        assert receipt_series_check(year).problems == []
