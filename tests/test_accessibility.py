"""WCAG 2.2 AA checks with axe-core on each page of the donate path.

axe-core comes from the npm registry (package.json; `make test` installs it)
and is injected into the pages in Debian's Chromium. A serious or critical
violation fails the test and is named with the elements it concerns.
"""

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent.parent / "node_modules/axe-core/axe.min.js"
RUN_AXE = """async () => {
    const result = await axe.run(document, {
        runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    });
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
    }));
}"""


def serious_violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail(
            f"{AXE} is missing: run `make test`, which installs axe-core with npm"
        )
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE)
    return [v for v in violations if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/campaigns/{slug}/",
        "/campaigns/{slug}/donate/",
        "/my/",
        "/campaigns/{slug}/embed/",
    ],
    ids=["home", "campaign", "donate", "donor-space", "widget"],
)
def test_page_has_no_serious_accessibility_violation(
    site, live_campaign, open_page, path, locale
):
    page = open_page(locale)
    page.goto(site + path.format(slug=live_campaign.slug))

    violations = serious_violations(page)

    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)


def test_donate_form_with_errors_has_no_serious_accessibility_violation(
    site, live_campaign, open_page
):
    page = open_page("fr-FR")
    page.goto(f"{site}/campaigns/{live_campaign.slug}/donate/")
    page.fill("#id_amount", "0.10")
    page.click("#donate-submit")
    page.wait_for_selector(".field.has-error")

    violations = serious_violations(page)

    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
@pytest.mark.parametrize(
    "path", ["/campaigns/{slug}/", "/campaigns/{slug}/wall/"], ids=["campaign", "wall"]
)
def test_donor_wall_has_no_serious_accessibility_violation(
    site, live_campaign, paid_gift, open_page, path, locale
):
    from wall.models import WallMessage

    # given a wall with a named gift, an anonymous one and an approved message
    WallMessage.objects.create(gift=paid_gift(), text="Allez !", status="approved")
    paid_gift(anonymous=True)
    page = open_page(locale)
    page.goto(site + path.format(slug=live_campaign.slug))
    page.wait_for_selector(".wall-entry")

    violations = serious_violations(page)

    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)


def test_donate_form_with_dedication_errors_has_no_serious_accessibility_violation(
    site, live_campaign, open_page
):
    page = open_page("en-GB")
    page.goto(f"{site}/campaigns/{live_campaign.slug}/donate/")
    page.fill("#id_amount", "50")
    page.select_option("#id_dedication_kind", "memory")
    page.fill("#id_card_recipient_email", "not-an-email")
    page.click("#donate-submit")
    page.wait_for_selector('[data-field="dedication_name"].has-error')

    assert page.text_content("#dedication_name-error").strip()
    assert page.text_content("#card_recipient_email-error").strip()
    violations = serious_violations(page)

    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)
