"""WCAG 2.2 AA checks on the donor space pages a signed-in donor changes things on."""

import json

import pytest

from donors.models import AddressCheck
from donorspace.services import signin_link_create
from tests.test_accessibility import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in_page(open_page, site, donor, locale):
    page = open_page(locale)
    token = signin_link_create(donor, ip="127.0.0.1")
    page.goto(f"{site}/my/signin/{token}/")
    page.click(".space-panel form button[type=submit]")
    page.wait_for_url(f"{site}/my/gifts/")
    return page


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
@pytest.mark.parametrize("path", ["/my/gifts/", "/my/preferences/", "/my/address/"])
def test_donor_space_settings_have_no_serious_accessibility_violation(
    site, open_page, make_donor, path, locale
):
    # given a donor asked to check their address, signed in
    donor = make_donor()
    AddressCheck.objects.create(donor=donor, year=2026)
    page = signed_in_page(open_page, site, donor, locale)

    # when they open the page
    page.goto(site + path)

    # then axe finds nothing serious
    violations = serious_violations(page)
    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)


def test_the_address_form_with_errors_has_no_serious_accessibility_violation(
    site, open_page, make_donor
):
    page = signed_in_page(open_page, site, make_donor(), "fr-FR")
    page.goto(f"{site}/my/address/")
    page.fill("#id_postal_code", "7500")
    page.click("[data-testid=address-form] button[type=submit]")
    page.wait_for_selector(".field.has-error")

    violations = serious_violations(page)

    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)
