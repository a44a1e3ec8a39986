"""The batch pages in the admin: typing a batch, checking it, posting it."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import translation

from offline.models import Batch, BatchLine
from offline.tests.conftest import CHEQUE_LINE
from payments.models import Gift

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(client):
    """Pages and refusals are read in English here."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def post_url(batch) -> str:
    return reverse("admin:offline_batch_post", args=[batch.pk])


def test_staff_without_the_post_permission_are_denied(client, make_batch):
    batch = make_batch()
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_batch", "change_batch"])
    )
    client.force_login(clerk)

    assert client.get(post_url(batch)).status_code == 403
    assert client.post(post_url(batch)).status_code == 403
    assert Gift.objects.count() == 0
    page = client.get(reverse("admin:offline_batch_change", args=[batch.pk]))
    assert post_url(batch) not in page.content.decode()


def test_confirmation_page_then_post(client, make_batch, poster):
    batch = make_batch({}, {"email": "b@example.org"})
    client.force_login(poster)

    page = client.get(reverse("admin:offline_batch_change", args=[batch.pk]))
    assert post_url(batch) in page.content.decode()
    confirm = client.get(post_url(batch))
    assert confirm.status_code == 200
    assert "Post the batch" in confirm.content.decode()
    assert Gift.objects.count() == 0

    done = client.post(post_url(batch))

    assert done.status_code == 302
    assert Gift.objects.filter(status="paid").count() == 2
    batch.refresh_from_db()
    assert (batch.status, batch.posted_by) == (Batch.Status.POSTED, poster)


def test_unbalanced_batch_shows_why_and_offers_no_button(client, make_batch, poster):
    batch = make_batch(expected_count=2)
    client.force_login(poster)

    confirm = client.get(post_url(batch))
    refused = client.post(post_url(batch))

    assert "The batch should hold 2 gifts but has 1." in confirm.content.decode()
    assert "Post the batch" not in confirm.content.decode()
    assert refused.status_code == 400
    assert "nothing was posted" in refused.content.decode()
    assert Gift.objects.count() == 0


def test_posted_batch_is_read_only(client, make_batch, poster):
    batch = make_batch()
    client.force_login(poster)
    client.post(post_url(batch))

    change_url = reverse("admin:offline_batch_change", args=[batch.pk])
    client.post(change_url, {"label": "changed", "expected_count": "9"})

    batch.refresh_from_db()
    assert (batch.label, batch.expected_count) == ("", 1)
    assert client.post(post_url(batch)).status_code == 400
    assert Gift.objects.count() == 1


def line_form(prefix: str = "lines-0", **overrides) -> dict:
    """The inline's fields for the factories' cheque, as the browser sends them."""
    fields = {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in CHEQUE_LINE.items()
        if key != "amount"
    }
    fields.update(
        amount_0="1000.50",
        amount_1="EUR",
        language="fr",
        taxed_in_france="on",
        receipt_preference="per_gift",
        donor_choice="",
    )
    fields.update(overrides)
    return {f"{prefix}-{key}": value for key, value in fields.items()}


def batch_form(campaign, **line_overrides) -> dict:
    return {
        "campaign": campaign.pk,
        "label": "Remise 2026-03-02",
        "expected_count": "1",
        "expected_total_0": "1 000,50",
        "expected_total_1": "EUR",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **line_form(**line_overrides),
    }


def test_staff_type_a_batch_in_the_admin(client, campaign, poster):
    client.force_login(poster)

    response = client.post(reverse("admin:offline_batch_add"), batch_form(campaign))

    assert response.status_code == 302, response.context["errors"]
    batch = Batch.objects.get()
    assert batch.created_by == poster
    line = batch.lines.get()
    assert line.amount.amount == Decimal("1000.50")
    assert batch.expected_total.amount == Decimal("1000.50")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cheque_date": ""}, "A cheque needs the date written on it."),
        ({"amount_0": "0"}, "The amount must be more than zero."),
        ({"amount_0": "-10"}, "The amount must be more than zero."),
        ({"received_on": ""}, "This field is required."),
    ],
)
def test_bad_lines_are_refused_with_a_message(
    client, campaign, poster, overrides, message
):
    client.force_login(poster)

    response = client.post(
        reverse("admin:offline_batch_add"), batch_form(campaign, **overrides)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Batch.objects.exists()
    assert not BatchLine.objects.exists()


def test_batch_page_shows_the_possible_existing_donors(
    client, make_batch, make_donor, poster
):
    known = make_donor(email="paul.durand@example.org", first_name="Paul")
    batch = make_batch()
    client.force_login(poster)

    page = client.get(reverse("admin:offline_batch_change", args=[batch.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert reverse("admin:donors_donor_change", args=[known.pk]) in content
    assert known.masked_email in content
    assert known.email not in content.replace('value="paul.durand@example.org"', "")


def test_posted_batch_page_links_each_gift(client, make_batch, poster):
    batch = make_batch()
    client.force_login(poster)
    client.post(post_url(batch))

    page = client.get(reverse("admin:offline_batch_change", args=[batch.pk]))

    gift = Gift.objects.get()
    assert page.status_code == 200
    assert (
        reverse("admin:payments_gift_change", args=[gift.pk]) in page.content.decode()
    )
