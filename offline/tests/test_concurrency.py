"""Two posts of one batch at the same moment make its gifts once."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection
from django.utils import translation

from offline.models import Batch
from offline.services import BatchRefused, batch_post
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
