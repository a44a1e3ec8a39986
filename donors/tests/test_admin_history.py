"""Consent records, preference changes and address checks in the admin."""

import pytest
from django.contrib.auth.models import Permission, User

from donors.models import AddressCheck, ConsentRecord
from donors.services import consent_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(make_donor):
    return consent_record(
        make_donor(),
        topic="newsletter",
        given=True,
        wording="Send me the newsletter.",
        language="en",
        source="donor_space",
    )


def staff_with(client, *codenames):
    user = User.objects.create_user("staff", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def test_staff_with_the_view_permission_read_consents_and_cannot_change_them(
    client, record
):
    staff_with(client, "view_consentrecord")

    listing = client.get("/admin/donors/consentrecord/")
    page = client.get(f"/admin/donors/consentrecord/{record.pk}/change/")
    changed = client.post(
        f"/admin/donors/consentrecord/{record.pk}/change/", {"given": ""}
    )

    assert listing.status_code == page.status_code == 200
    assert changed.status_code == 403
    assert client.get("/admin/donors/consentrecord/add/").status_code == 403
    assert (
        client.get(f"/admin/donors/consentrecord/{record.pk}/delete/").status_code
        == 403
    )
    assert ConsentRecord.objects.get().given is True


def test_staff_without_the_permission_see_no_consents(client, record, make_donor):
    staff_with(client, "view_donor")
    AddressCheck.objects.create(donor=record.donor, year=2026)

    assert client.get("/admin/donors/consentrecord/").status_code == 403
    assert client.get("/admin/donors/addresscheck/").status_code == 403
