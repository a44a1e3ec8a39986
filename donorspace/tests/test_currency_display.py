"""A gift in another currency reads in that currency, in the reader's locale."""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from donorspace import services
from payments.models import Gift
from receipts.services import gift_send_thanks

pytestmark = pytest.mark.django_db


@pytest.fixture
def czk_gift(campaign, make_donor):
    def make(language):
        return Gift.objects.create(
            donor=make_donor(language=language),
            campaign=campaign,
            amount=Money(Decimal("1250.50"), "CZK"),
            amount_eur=Money(Decimal("49.77"), "EUR"),
            fx_rate=Decimal("25.125"),
            status=Gift.Status.PAID,
            paid_at=timezone.now(),
            receipt_mode="none",
        )

    return make


@pytest.mark.parametrize(
    ("language", "paid", "worth"),
    [
        ("fr", "1\u202f250,50\xa0CZK", "49,77\xa0€"),
        ("en", "CZK1,250.50", "€49.77"),
    ],
)
def test_donor_space_shows_the_amount_paid_and_its_euro_value(
    czk_gift, language, paid, worth
):
    gift = czk_gift(language)
    client = Client(headers={"accept-language": language})
    token = services.signin_link_create(gift.donor, ip="203.0.113.5")
    client.post(reverse("donorspace:signin", args=[token]))

    page = client.get(reverse("donorspace:gifts")).content.decode()

    assert paid in page
    assert worth in page


@pytest.mark.parametrize(
    ("language", "paid"), [("fr", "1\u202f250,50\xa0CZK"), ("en", "CZK1,250.50")]
)
def test_thank_you_email_gives_the_amount_in_its_currency(czk_gift, language, paid):
    gift = czk_gift(language)

    assert gift_send_thanks(gift.pk)

    assert paid in mail.outbox[0].body
