import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_demo_has_one_account_per_role_that_can_sign_in(client):
    call_command("load_demo_data", gifts=0)
    call_command("load_demo_data", gifts=0)  # a second run changes nothing

    roles = {
        user.username: list(user.groups.values_list("name", flat=True))
        for user in User.objects.filter(username__startswith="demo-")
    }
    assert roles == {
        "demo-campagnes": ["Campaign manager"],
        "demo-finance": ["Finance"],
        "demo-admin": ["Administrator"],
    }
    assert not User.objects.filter(username__startswith="demo-", is_superuser=True)
    assert client.login(username="demo-finance", password="demo-mecene-2026")
