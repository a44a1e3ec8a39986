"""Two posts of one batch at the same moment make its gifts once."""

import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection
from django.utils import translation

from offline.models import Batch
from offline.services import BatchRefused, batch_post
from payments import services as payments_services
from payments.models import Gift


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_create_the_gifts_once(make_batch, poster, campaign):
    # given a balanced batch of three gifts, open in two tabs
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    batch = make_batch({}, {"email": "b@example.org"}, {"email": "c@example.org"})
    start = Barrier(2)

    def post(_n):
        try:
            start.wait(timeout=10)
            with translation.override("en"):
                batch_post(batch.pk, actor=poster)
            return "posted"
        except BatchRefused as exc:
            return exc.problems[0]
        finally:
            connection.close()

    # when both tabs post it at once
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(post, range(2)))

    # then one post wins, the other is told, and the gifts exist once
    assert outcomes == ["This batch is already posted.", "posted"]
    assert Gift.objects.count() == 3
    campaign.refresh_from_db()
    assert (campaign.gift_count, str(campaign.raised.amount)) == (3, "450.00")
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.POSTED


@pytest.mark.django_db(transaction=True)
def test_two_batches_for_the_same_donors_in_opposite_orders_both_post(
    make_batch, make_donor, poster, campaign, monkeypatch
):
    # given two known donors, and two batches that list them in opposite
    # orders (which deadlocks if donors are locked line by line)
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    anne = make_donor(email="anne@example.org")
    paul = make_donor(email="paul@example.org", first_name="Paul")

    def line(donor):
        return {
            "email": "",
            "donor_choice": "existing",
            "donor": donor,
            "first_name": donor.first_name,
            "last_name": donor.last_name,
        }

    batches = [make_batch(line(anne), line(paul)), make_batch(line(paul), line(anne))]
    # Each post lingers once it holds the campaign's row, so the other has
    # time to lock what it can: the circle forms if there is one to form.
    count_on_campaign = payments_services.campaign_record_paid_gift

    def lingering(*, gift):
        count_on_campaign(gift=gift)
        time.sleep(0.5)

    monkeypatch.setattr(payments_services, "campaign_record_paid_gift", lingering)
    start = Barrier(2)

    def post(batch):
        try:
            start.wait(timeout=10)
            batch_post(batch.pk, actor=poster)
            return "posted"
        finally:
            connection.close()

    # when both are posted at once
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(post, batches))

    # then both are posted, each gift once
    assert outcomes == ["posted", "posted"]
    assert Gift.objects.count() == 4
    campaign.refresh_from_db()
    assert (campaign.gift_count, campaign.donor_count) == (4, 2)
