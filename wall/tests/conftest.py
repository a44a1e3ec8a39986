import pytest

from wall.models import Dedication, WallMessage


@pytest.fixture
def message_for(db):
    """A wall message on a gift, in the status given."""

    def make(gift, text="Allez les Bleus !", status=WallMessage.Status.PENDING):
        return WallMessage.objects.create(gift=gift, text=text, status=status)

    return make


@pytest.fixture
def dedication_for(db):
    """A dedication on a gift, with a card to send unless told otherwise."""

    def make(gift, **fields):
        values = {
            "kind": Dedication.Kind.MEMORY,
            "honoree_name": "Marcel Cerdan",
            "recipient_name": "Lucie Cerdan",
            "recipient_email": "lucie.cerdan@example.net",
            "card_message": "En souvenir de ton grand-père.",
            **fields,
        }
        return Dedication.objects.create(gift=gift, **values)

    return make
