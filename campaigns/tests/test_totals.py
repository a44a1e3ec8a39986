"""The campaign totals kept live agree with the repair tool that rebuilds them."""

from decimal import Decimal

import pytest

from campaigns.services import campaign_recompute_totals
from payments.refunds import gift_refund

pytestmark = pytest.mark.django_db


def test_rebuilt_totals_equal_live_ones_after_partial_and_full_refunds(
    paid_gift, make_donor, campaign
):
    kept = paid_gift("100.00", donor=make_donor(email="a@example.org"))
    paid_gift("40.00", donor=make_donor(email="b@example.org"))
    gone = paid_gift("25.00", donor=make_donor(email="c@example.org"))
    gift_refund(kept.pk, amount=Decimal("30.00"), reason="part", request_id="r1")
    gift_refund(gone.pk, amount=None, reason="all", request_id="r2")
    campaign.refresh_from_db()
    live = (campaign.raised, campaign.gift_count, campaign.donor_count)

    rebuilt = campaign_recompute_totals(campaign.pk)

    assert live == (rebuilt.raised, rebuilt.gift_count, rebuilt.donor_count)
    assert rebuilt.raised.amount == Decimal("110.00")
    assert (rebuilt.gift_count, rebuilt.donor_count) == (2, 2)
