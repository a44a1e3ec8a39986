"""The page and its data cost the same number of queries at any volume."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from donors.models import Donor
from payments.models import Gift

# Session, user, the user's and the groups' permissions, campaign, campaign
# list (page only), daily totals for the series, by method, by source and by
# kind (one-off or monthly), the active monthly gifts, last gifts.
MAX_QUERIES = 12


def bulk_paid_gifts(campaign, count: int) -> None:
    """``count`` paid gifts from 20 donors over 200 days, all methods."""
    donors = Donor.objects.bulk_create(
        Donor(
            kind="individual", first_name=f"D{n}", last_name="Test",
            email=f"d{n}@example.org", address_line="1 rue", postal_code="75005",
            city="Paris",
        )
        for n in range(20)
    )  # fmt: skip
    now = timezone.now()
    methods = itertools.cycle(Gift.Method.values)
    Gift.objects.bulk_create(
        (
            Gift(
                donor=donors[n % 20],
                campaign=campaign,
                amount=Money(Decimal(10 + n % 90), "EUR"),
                status=Gift.Status.PAID,
                method=next(methods),
                paid_at=now - datetime.timedelta(hours=n * 200 * 24 / count),
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    call_command("rebuild_daily_totals")


@pytest.fixture
def staff_client(client, db):
    user = User.objects.create_user("manager", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_dailytotal"))
    client.force_login(user)
    return client


@pytest.mark.parametrize("gifts", [100, 5000])
@pytest.mark.parametrize("name", ["dashboard:campaign", "dashboard:data"])
def test_queries_do_not_grow_with_the_gifts(
    staff_client, campaign, django_assert_max_num_queries, gifts, name
):
    # Given many paid gifts, counted by the rebuild
    bulk_paid_gifts(campaign, gifts)

    # When staff open the page or its data
    with django_assert_max_num_queries(MAX_QUERIES):
        response = staff_client.get(reverse(name, kwargs={"slug": campaign.slug}))

    # Then the query count stays under the same ceiling
    assert response.status_code == 200
