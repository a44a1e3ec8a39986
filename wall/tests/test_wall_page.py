"""The donor wall: paid gifts newest first, approved messages only, names
shortened or withheld, never an amount, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payments.models import Gift
from wall.models import WallMessage

pytestmark = pytest.mark.django_db

APPROVED = WallMessage.Status.APPROVED


def wall_section(client, campaign) -> str:
    page = client.get(
        reverse("campaigns:detail", args=[campaign.slug]), HTTP_ACCEPT_LANGUAGE="en"
    ).text
    if 'class="donor-wall"' not in page:
        return ""
    return page.split('class="donor-wall"')[1].split("</section>")[0]


def test_the_wall_shows_paid_gifts_and_approved_messages_only(
    client, campaign, make_donor, paid_gift, make_gift, message_for
):
    # given paid gifts with an approved, a pending and a rejected message, and
    # unpaid gifts whose messages were approved anyway
    donor = make_donor(first_name="Anne", last_name="martin")
    message_for(paid_gift(donor=donor), "Approuvé", APPROVED)
    message_for(paid_gift(donor=donor), "En attente")
    message_for(paid_gift(donor=donor), "Refusé", WallMessage.Status.REJECTED)
    for status in (Gift.Status.PENDING, Gift.Status.FAILED, Gift.Status.REFUNDED):
        message_for(make_gift(status=status), f"Pas payé {status}", APPROVED)

    # when anyone opens the campaign page
    wall = wall_section(client, campaign)

    # then the three paid gifts are listed, with the approved message only
    assert wall.count('class="wall-entry"') == 3
    assert wall.count("Anne M.") == 3
    assert "Approuvé" in wall
    assert "En attente" not in wall
    assert "Refusé" not in wall
    assert "Pas payé" not in wall


def test_an_anonymous_gift_shows_no_name(client, campaign, make_donor, paid_gift):
    paid_gift(
        donor=make_donor(first_name="Zinédine", last_name="Zidane"), anonymous=True
    )

    wall = wall_section(client, campaign)

    assert "Anonymous" in wall
    assert "Zinédine" not in wall
    assert "Zidane" not in wall


def test_a_company_shows_its_name(client, campaign, make_donor, paid_gift):
    paid_gift(
        donor=make_donor(
            kind="company", company_name="Atelier Numérique", first_name=""
        )
    )

    assert "Atelier Numérique" in wall_section(client, campaign)


def test_a_name_carrying_a_link_is_not_shown(client, campaign, make_donor, paid_gift):
    paid_gift(
        donor=make_donor(
            kind="company",
            company_name="VISIT https://evil.example/casino NOW",
            first_name="",
        )
    )

    section = wall_section(client, campaign)
    assert "evil.example" not in section
    assert "Anonymous" in section


def test_the_wall_never_shows_an_amount(client, campaign, paid_gift, message_for):
    message_for(paid_gift("1234.56"), "Merci", APPROVED)

    wall = wall_section(client, campaign)

    assert "Merci" in wall
    assert "1234" not in wall
    assert "1,234" not in wall
    assert "€" not in wall


def test_a_message_is_shown_as_text_never_as_html(
    client, campaign, paid_gift, message_for
):
    message_for(
        paid_gift(),
        '<script>alert(1)</script><a href="https://x.example">x</a>',
        APPROVED,
    )

    wall = wall_section(client, campaign)

    assert "<script>" not in wall
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in wall
    assert "<a href" not in wall


def test_the_newest_gift_comes_first(client, campaign, make_donor, paid_gift):
    older = paid_gift(donor=make_donor(email="a@example.org", first_name="Aline"))
    Gift.objects.filter(pk=older.pk).update(paid_at=timezone.now() - timedelta(days=1))
    paid_gift(donor=make_donor(email="b@example.org", first_name="Bruno"))

    wall = wall_section(client, campaign)

    assert wall.index("Bruno") < wall.index("Aline")


def test_a_campaign_without_paid_gifts_has_no_wall(client, campaign, make_gift):
    make_gift(status=Gift.Status.PENDING)

    assert wall_section(client, campaign) == ""


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_wall_costs_the_same_queries_for_few_or_many_gifts(
    client, campaign, make_donor, paid_gift, message_for
):
    detail = reverse("campaigns:detail", args=[campaign.slug])
    wall = reverse("wall:campaign_wall", args=[campaign.slug])
    for n in range(2):
        message_for(
            paid_gift(donor=make_donor(email=f"d{n}@example.org")), "Go", APPROVED
        )
    few = count_queries(client, detail), count_queries(client, wall)

    for n in range(2, 14):
        message_for(
            paid_gift(donor=make_donor(email=f"d{n}@example.org")), "Go", APPROVED
        )
    many = count_queries(client, detail), count_queries(client, wall)

    assert few == many


def test_the_campaign_page_shows_the_newest_ten_and_links_to_the_wall(
    client, campaign, make_donor, paid_gift
):
    for n in range(11):
        paid_gift(donor=make_donor(email=f"d{n}@example.org"))

    wall = wall_section(client, campaign)

    assert wall.count('class="wall-entry"') == 10
    assert reverse("wall:campaign_wall", args=[campaign.slug]) in wall


def test_the_wall_pages_hold_thirty_gifts_each(client, campaign, make_donor, paid_gift):
    donor = make_donor()
    for _n in range(31):
        paid_gift(donor=donor)
    url = reverse("wall:campaign_wall", args=[campaign.slug])

    first = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    second = client.get(url + "?page=2", HTTP_ACCEPT_LANGUAGE="en")
    nonsense = client.get(url + "?page=abc", HTTP_ACCEPT_LANGUAGE="en")

    assert first.text.count('class="wall-entry"') == 30
    assert second.text.count('class="wall-entry"') == 1
    assert "Page 2 of 2" in second.text
    assert nonsense.status_code == 200
    assert nonsense.text.count('class="wall-entry"') == 30


def test_a_draft_campaign_has_no_wall_page(client, campaign):
    campaign.status = campaign.Status.DRAFT
    campaign.save()

    response = client.get(reverse("wall:campaign_wall", args=[campaign.slug]))

    assert response.status_code == 404
