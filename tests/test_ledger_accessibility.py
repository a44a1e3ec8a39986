"""WCAG 2.2 AA checks on the ledger's pages: the public beneficiary cards
and the staff ledger page, in French and English."""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone
from djmoney.money import Money

from campaigns.models import Beneficiary
from payments.models import Gift
from tests.test_accessibility import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def funded_campaign(live_campaign, make_donor):
    """Two consenting athletes, one partly funded this year; the campaign
    began last year, so that year's ledger can be closed."""
    live_campaign.starts_on = datetime.date(timezone.localdate().year - 1, 1, 1)
    live_campaign.save()
    athletes = [
        Beneficiary.objects.create(
            campaign=live_campaign,
            public_name=name,
            summary_fr="Plongeon",
            yearly_bourse=Money(Decimal("3000"), "EUR"),
            position=position,
            public_consent=True,
        )  # fmt: skip
        for position, name in enumerate(["Léa Morel", "Hugo Garnier"])
    ]
    Gift.objects.create(
        donor=make_donor(),
        campaign=live_campaign,
        beneficiary=athletes[0],
        amount=Money(Decimal("1250.00"), "EUR"),
        status=Gift.Status.PAID,
        paid_at=timezone.now() - datetime.timedelta(hours=1),
    )
    return live_campaign


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_beneficiary_cards_have_no_serious_violation(
    site, funded_campaign, open_page, locale
):
    page = open_page(locale)
    page.goto(f"{site}/campaigns/{funded_campaign.slug}/")

    assert page.locator('[data-testid="beneficiary-progress"]').count() == 2
    violations = serious_violations(page)
    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_the_staff_ledger_page_has_no_serious_violation(
    site, funded_campaign, open_page, locale
):
    user = User.objects.create_user("finance", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_ledgeryear", "close_year"])
    )
    client = Client()
    client.force_login(user)
    page = open_page(locale)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}]
    )
    year = timezone.localdate().year - 1  # a past year shows the close form

    page.goto(f"{site}/staff/ledger/{funded_campaign.slug}/{year}/")

    assert page.locator('[data-testid="ledger-table"]').count() == 1
    assert page.locator("#ledger-confirm").count() == 1
    violations = serious_violations(page)
    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)
