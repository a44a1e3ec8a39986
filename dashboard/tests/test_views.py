"""The dashboard page and its JSON: who may see them, and what they show."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from djmoney.money import Money

from campaigns.models import Campaign
from dashboard.services import daily_total_record_paid_gift
from payments.models import Gift

EMAIL = "anne.martin@example.org"


@pytest.fixture
def staff_client(client, db):
    """A signed-in staff member allowed to see the dashboard."""
    user = User.objects.create_user("manager", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_dailytotal"))
    client.force_login(user)
    return client


@pytest.fixture
def paid(make_gift):
    """A gift paid now and counted, as the payment transaction does."""

    def make(amount="50.00", **fields):
        fields.setdefault("paid_at", datetime.datetime.now(datetime.UTC))
        gift = make_gift(amount, status=Gift.Status.PAID, **fields)
        daily_total_record_paid_gift(gift=gift)
        Campaign.objects.filter(pk=gift.campaign_id).update(
            raised=Money(Decimal(amount), "EUR"), gift_count=1, donor_count=1
        )
        return gift

    return make


def page_url(campaign):
    return reverse("dashboard:campaign", kwargs={"slug": campaign.slug})


def data_url(campaign):
    return reverse("dashboard:data", kwargs={"slug": campaign.slug})


def test_a_visitor_is_sent_to_the_staff_login(client, campaign):
    response = client.get(page_url(campaign))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_dashboard_permission_are_refused(client, campaign):
    # Given a staff member who may not see the dashboard
    client.force_login(User.objects.create_user("editor", is_staff=True))

    # Then the page and its data are refused
    assert client.get(page_url(campaign)).status_code == 403
    assert client.get(data_url(campaign)).status_code == 403


def test_the_dashboard_opens_on_the_first_live_campaign(staff_client, campaign):
    # Given a draft campaign next to the live one
    Campaign.objects.create(
        slug="brouillon", title_fr="Brouillon", goal=Money(100, "EUR"),
        starts_on="2030-01-01", status=Campaign.Status.DRAFT,
    )  # fmt: skip

    response = staff_client.get(reverse("dashboard:index"))

    assert response["Location"] == page_url(campaign)


def test_the_selector_opens_the_chosen_campaign(staff_client, campaign):
    other = Campaign.objects.create(
        slug="bibliotheque", title_fr="Bibliothèque", goal=Money(100, "EUR"),
        starts_on="2026-01-01", status=Campaign.Status.CLOSED,
    )  # fmt: skip

    response = staff_client.get(reverse("dashboard:index"), {"campaign": other.slug})

    assert response["Location"] == page_url(other)


def test_the_page_shows_the_stored_totals(staff_client, campaign, paid):
    # Given one paid gift of 50 € towards a goal of 21,000 €
    paid("50.00")

    response = staff_client.get(page_url(campaign), HTTP_ACCEPT_LANGUAGE="en")

    # Then raised, gifts, donors and the average gift are shown
    figures = response.context["figures"]
    assert figures["raised"]["value"] == "50.00"
    assert figures["gifts"]["value"] == figures["donors"]["value"] == 1
    assert figures["average_gift"]["value"] == "50.00"
    assert "Monthly payments" in response.content.decode()


def test_a_named_donor_shows_as_first_name_and_initial(staff_client, campaign, paid):
    paid("50.00")

    content = staff_client.get(page_url(campaign)).content.decode()

    assert "Anne M." in content
    assert "Martin" not in content


def test_an_anonymous_gift_shows_as_anonymous(staff_client, campaign, paid):
    # Given an anonymous gift from Anne Martin
    paid("75.00", anonymous=True)

    # When staff read the page and the data, in English
    page = staff_client.get(page_url(campaign), HTTP_ACCEPT_LANGUAGE="en")
    data = staff_client.get(data_url(campaign), HTTP_ACCEPT_LANGUAGE="en").json()

    # Then her name appears nowhere
    assert data["last_gifts"][0]["donor"] == "Anonymous"
    assert "Anne" not in page.content.decode()
    assert "Anne" not in str(data)


def test_no_email_or_address_leaves_the_server(staff_client, campaign, paid):
    paid("50.00")

    page = staff_client.get(page_url(campaign)).content.decode()
    data = staff_client.get(data_url(campaign)).content.decode()

    for text in (page, data):
        assert EMAIL not in text
        assert "@" not in text.replace('xmlns="http://www.w3.org', "")
        assert "rue des Écoles" not in text


def test_the_last_gifts_are_the_ten_newest_in_paris_time(staff_client, campaign, paid):
    # Given twelve gifts, the newest paid at 23:30 UTC on 31 December
    newest = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC)
    for n in range(12):
        paid("10.00", paid_at=newest - datetime.timedelta(hours=n))

    data = staff_client.get(data_url(campaign), HTTP_ACCEPT_LANGUAGE="en").json()

    # Then ten are listed, newest first, dated in Paris (00:30 on 1 January)
    assert len(data["last_gifts"]) == 10
    assert data["last_gifts"][0]["when"] == "1 Jan 2027, 00:30"


def test_the_json_carries_figures_charts_and_last_gifts(staff_client, campaign, paid):
    paid("50.00", method=Gift.Method.SEPA)

    response = staff_client.get(data_url(campaign))
    data = response.json()

    assert response["Content-Type"] == "application/json"
    assert set(data) == {
        "campaign", "generated_at", "generated_text", "figures", "charts",
        "last_gifts",
    }  # fmt: skip
    assert data["campaign"] == {
        "slug": campaign.slug, "title": campaign.title, "currency": "EUR",
    }  # fmt: skip
    assert set(data["figures"]["raised"]) == {"value", "text"}
    assert set(data["charts"]) == {"daily", "weekly", "methods", "sources"}
    assert all(
        'role="img"' in data["charts"][key] for key in ("daily", "weekly", "methods")
    )
    assert set(data["last_gifts"][0]) == {
        "paid_at", "when", "amount", "campaign", "donor", "method", "note",
    }  # fmt: skip


def test_the_charts_have_a_title_and_a_text_summary(staff_client, campaign, paid):
    paid("50.00")

    charts = staff_client.get(data_url(campaign), HTTP_ACCEPT_LANGUAGE="en").json()[
        "charts"
    ]

    assert "<title>Gifts per day, last 30 days</title>" in charts["daily"]
    assert 'aria-label="Last 30 days: 1 gifts' in charts["daily"]
    assert "<table" in charts["weekly"]
    assert "<script" not in "".join(charts.values())


def test_the_split_by_method_counts_net_amounts(staff_client, campaign, paid):
    # Given a card gift and a SEPA gift
    paid("50.00")
    paid("30.00", method=Gift.Method.SEPA)

    response = staff_client.get(page_url(campaign), HTTP_ACCEPT_LANGUAGE="en")

    # Then the method table lists both, and the other methods at zero
    methods = response.content.decode()
    assert '<th scope="row">SEPA direct debit</th><td class="num">1</td>' in methods
    assert '<th scope="row">Cash</th><td class="num">0</td>' in methods


def test_the_page_splits_one_off_and_monthly_gifts_and_sources(
    staff_client, campaign, make_donor
):
    from datetime import UTC, datetime

    from django.db import transaction

    from campaigns.services import campaign_record_paid_gift
    from payments.models import Gift, RecurringGift

    donor = make_donor(email="monthly@example.org")
    plan = RecurringGift.objects.create(
        donor=donor,
        campaign=campaign,
        amount=Money("25.00", "EUR"),
        method="card",
        status=RecurringGift.Status.ACTIVE,
    )
    paid_at = datetime(2026, 3, 10, 11, tzinfo=UTC)
    for amount, fields in (
        ("25.00", {"recurring": plan, "period": "2026-03", "donor": donor}),
        ("100.00", {"utm_source": "facebook"}),
    ):
        with transaction.atomic():
            gift = Gift.objects.create(
                donor=fields.pop("donor", donor),
                campaign=campaign,
                amount=Money(amount, "EUR"),
                status=Gift.Status.PAID,
                paid_at=paid_at,
                **fields,
            )
            campaign_record_paid_gift(gift=gift)

    figures = staff_client.get(data_url(campaign)).json()["figures"]
    assert figures["one_off_gifts"]["value"] == 1
    assert figures["monthly_payments"]["value"] == 1
    assert figures["monthly_amount"]["value"] == "25.00"
    assert figures["monthly_active"]["value"] == 1
    assert figures["monthly_per_month"]["value"] == [
        {"currency": "EUR", "amount": "25.00"}
    ]
    page = staff_client.get(page_url(campaign)).content.decode()
    assert "facebook" in page
