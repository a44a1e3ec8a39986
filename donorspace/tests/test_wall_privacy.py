"""The donor's messages and dedications in their export, and gone with their
erasure request (wall app)."""

import json

import pytest
from django.urls import reverse

from donorspace import services
from wall.models import Dedication, WallMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def dedicated_gift(make_donor, paid_gift):
    """A paid gift of Anne's with a wall message and a card to Lucie."""
    gift = paid_gift(donor=make_donor())
    WallMessage.objects.create(gift=gift, text="Allez !", status="approved")
    Dedication.objects.create(
        gift=gift,
        kind="memory",
        honoree_name="Marcel Cerdan",
        recipient_name="Lucie Cerdan",
        recipient_email="lucie.cerdan@example.net",
        card_message="En souvenir.",
    )
    return gift


def test_the_export_holds_the_card_recipient_and_the_message(client, dedicated_gift):
    token = services.signin_link_create(dedicated_gift.donor, ip="203.0.113.5")
    client.post(reverse("donorspace:signin", args=[token]))

    data = json.loads(client.get(reverse("donorspace:export")).content)

    [entry] = data["messages_and_dedications"]
    assert entry["gift"] == str(dedicated_gift.token)
    assert entry["wall_message"] == {"text": "Allez !", "status": "approved"}
    assert entry["dedication"]["card_recipient_email"] == "lucie.cerdan@example.net"
    assert entry["dedication"]["honoree_name"] == "Marcel Cerdan"


def test_an_erasure_request_erases_the_card_recipient_and_the_message(
    dedicated_gift, make_donor, paid_gift
):
    # given another donor's dedication, which must stay
    other = paid_gift(donor=make_donor(email="paul@example.org"))
    Dedication.objects.create(
        gift=other, kind="honour", honoree_name="X", recipient_email="x@example.net"
    )

    # when Anne asks for erasure
    services.erasure_request_record(dedicated_gift.donor)

    # then the third person's details and her words are gone, the kind stays
    dedication = Dedication.objects.get(gift=dedicated_gift)
    assert dedication.recipient_email == ""
    assert dedication.recipient_name == ""
    assert dedication.honoree_name == ""
    assert dedication.card_message == ""
    assert dedication.kind == "memory"
    assert dedication.erased_at is not None
    message = WallMessage.objects.get(gift=dedicated_gift)
    assert (message.text, message.status) == ("", WallMessage.Status.REJECTED)
    assert Dedication.objects.get(gift=other).recipient_email == "x@example.net"
