"""UTM tags: carried from the link to the gift, cleaned, never a cookie."""

import pytest
from django.urls import reverse

from campaigns.sources import clean_tag, utm_query
from conftest import DONATE_FORM
from payments.models import Gift

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Newsletter", "newsletter"),
        ("  facebook  ", "facebook"),
        ('<script>alert("x")</script>', "script-alert-x-script"),
        ("été 2026", "t-2026"),
        ("a" * 300, "a" * 60),
        ("", ""),
    ],
)
def test_tags_are_cleaned_to_short_lowercase_words(raw, clean):
    assert clean_tag(raw) == clean


def test_campaign_page_passes_the_tags_on_to_the_donate_link(client, campaign):
    page = client.get(
        reverse("campaigns:detail", args=[campaign.slug]),
        {"utm_source": "Newsletter", "utm_medium": "email", "other": "x"},
    )
    donate = reverse("campaigns:donate", args=[campaign.slug])
    assert f'href="{donate}?utm_source=newsletter&amp;utm_medium=email"' in (
        page.content.decode()
    )
    assert "sessionid" not in page.cookies
    assert utm_query({}) == ""


def test_the_gift_keeps_the_tags_of_the_link(client, campaign, stripe_api):
    form = client.get(
        reverse("campaigns:donate", args=[campaign.slug]),
        {"utm_source": "Facebook", "utm_campaign": "jo-2028"},
    )
    assert 'name="utm_source" value="facebook"' in form.content.decode()
    response = client.post(
        reverse("campaigns:donate", args=[campaign.slug]),
        {**DONATE_FORM, "utm_source": "Facebook", "utm_campaign": "JO 2028!"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    gift = Gift.objects.get()
    assert (gift.utm_source, gift.utm_medium, gift.utm_campaign) == (
        "facebook",
        "",
        "jo-2028",
    )


def test_public_pages_answer_head_for_link_checkers(client, campaign):
    for url in (
        reverse("campaigns:home"),
        reverse("campaigns:detail", args=[campaign.slug]),
        reverse("campaigns:embed", args=[campaign.slug]),
        "/healthz",
    ):
        assert client.head(url).status_code in (200, 503), url
