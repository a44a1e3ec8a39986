"""Moderation in the admin: only holders of wall.moderate_message approve or
reject; staff see how many messages wait."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from payments.models import Gift
from wall.models import WallMessage

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:wall_wallmessage_changelist")


def staff(*codenames) -> User:
    user = User.objects.create_user(
        f"staff-{'-'.join(codenames) or 'none'}", password="x", is_staff=True
    )
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def run_action(client, action, messages):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [m.pk for m in messages]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )


def test_a_moderator_approves_and_rejects(client, paid_gift, message_for):
    # given two pending messages and a moderator
    moderator = staff("moderate_message")
    kept, refused = message_for(paid_gift()), message_for(paid_gift())
    client.force_login(moderator)

    # when they approve one and reject the other
    approved = run_action(client, "approve", [kept])
    run_action(client, "reject", [refused])

    # then each is recorded with who did it
    assert "1 message approved." in approved.text
    kept.refresh_from_db()
    refused.refresh_from_db()
    assert (kept.status, kept.moderated_by) == (WallMessage.Status.APPROVED, moderator)
    assert refused.status == WallMessage.Status.REJECTED
    assert refused.moderated_at is not None


def test_staff_without_the_permission_cannot_moderate(client, paid_gift, message_for):
    # given staff who may only view messages
    message = message_for(paid_gift())
    client.force_login(staff("view_wallmessage"))

    # when they try to approve
    listing = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en")
    response = run_action(client, "approve", [message])

    # then the action is not offered and nothing changed
    assert listing.status_code == 200
    assert 'value="approve"' not in listing.text
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == WallMessage.Status.PENDING
    assert message.moderated_by is None


def test_staff_without_any_wall_permission_see_nothing(client, paid_gift, message_for):
    message_for(paid_gift())
    client.force_login(staff())

    assert client.get(CHANGELIST).status_code == 403


def test_moderators_see_the_pending_count_of_paid_gifts(
    client, paid_gift, make_gift, message_for
):
    message_for(paid_gift())
    message_for(paid_gift())
    message_for(paid_gift(), status=WallMessage.Status.APPROVED)
    message_for(make_gift(status=Gift.Status.PENDING))
    client.force_login(staff("moderate_message"))

    page = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en").text

    assert "2 messages await moderation." in page
    assert page.count('name="_selected_action"') == 3


def test_nobody_edits_a_donors_words(client, paid_gift, message_for):
    message = message_for(paid_gift(), "Original")
    client.force_login(User.objects.create_superuser("root", password="x"))

    client.post(
        reverse("admin:wall_wallmessage_change", args=[message.pk]),
        {"text": "Edited", "status": "approved"},
    )

    message.refresh_from_db()
    assert (message.text, message.status) == ("Original", WallMessage.Status.PENDING)
