"""The staff ledger page, its close button and its exports."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from djmoney.money import Money
from freezegun import freeze_time
from openpyxl import load_workbook

from campaigns.models import Campaign
from ledger.models import LedgerYear

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("even")]


def staff(client, *codenames):
    user = User.objects.create_user("finance", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def year_url(campaign, year, name="year"):
    return reverse(f"ledger:{name}", kwargs={"slug": campaign.slug, "year": year})


@pytest.fixture
def gifts(athletes, give):
    give("1300.00", to=athletes[0])
    give("200.00", to=athletes[1])
    give("100.01")


def test_a_visitor_is_sent_to_the_staff_login(client, olympic, athletes):
    response = client.get(year_url(olympic, 2025))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_ledger_permission_are_refused(client, olympic, athletes):
    staff(client, "view_gift")

    assert client.get(year_url(olympic, 2025)).status_code == 403
    assert client.get(year_url(olympic, 2025, "export_csv")).status_code == 403
    assert client.post(year_url(olympic, 2025, "close")).status_code == 403


def test_staff_who_may_read_but_not_close_cannot_close(client, olympic, athletes):
    staff(client, "view_ledgeryear")

    response = client.post(year_url(olympic, 2025, "close"), {"confirm": "yes"})

    assert response.status_code == 403
    assert not LedgerYear.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/staff/ledger/no-such-campaign/2025/",
        "/staff/ledger/passeport-jo/2024/",
        "/staff/ledger/passeport-jo/9999/",
        "/staff/ledger/passeport-jo/20x5/",
        "/staff/ledger/passeport-jo/2025/export.pdf",
        "/staff/ledger/no-such-campaign/2025/export.csv",
    ],
)
def test_an_unknown_campaign_or_year_is_not_found(client, olympic, athletes, path):
    staff(client, "view_ledgeryear")

    assert client.get(path).status_code == 404


def test_a_campaign_without_beneficiaries_has_no_ledger(client, olympic):
    staff(client, "view_ledgeryear")

    assert client.get(year_url(olympic, 2025)).status_code == 404


def test_the_page_shows_each_state_in_french(client, olympic, athletes, gifts):
    staff(client, "view_ledgeryear")

    response = client.get(year_url(olympic, 2025), HTTP_ACCEPT_LANGUAGE="fr")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Léa Morel" in page
    assert "Surfinancé" in page
    assert "Partiellement financé" in page
    assert "Clôturer 2025" not in page  # no close button without the permission


def test_the_page_speaks_english_when_asked(client, olympic, athletes, gifts):
    staff(client, "view_ledgeryear")
    client.cookies["django_language"] = "en"

    page = client.get(year_url(olympic, 2025)).content.decode()

    assert "Over-funded" in page
    assert "Partly funded" in page


def test_closing_needs_the_box_ticked(client, olympic, athletes, gifts):
    staff(client, "view_ledgeryear", "close_year")

    with freeze_time("2026-03-01 09:00:00"):
        refused = client.post(year_url(olympic, 2025, "close"), follow=True)
        done = client.post(
            year_url(olympic, 2025, "close"), {"confirm": "yes"}, follow=True
        )

    assert "Cochez la case" in refused.content.decode()
    assert "2025 est clôturée" in done.content.decode()
    closed = LedgerYear.objects.get()
    assert (closed.year, closed.closed_by.username) == (2025, "finance")


def test_a_refused_close_says_why(client, olympic, athletes, gifts):
    with freeze_time("2027-03-01 09:00:00"):
        staff(client, "view_ledgeryear", "close_year")
        response = client.post(
            year_url(olympic, 2026, "close"), {"confirm": "yes"}, follow=True
        )

    assert "Clôturez d’abord 2025" in response.content.decode()
    assert not LedgerYear.objects.exists()


def test_the_csv_has_a_bom_semicolons_and_numbers(client, olympic, athletes, gifts):
    staff(client, "view_ledgeryear")

    response = client.get(year_url(olympic, 2025, "export_csv"))

    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert rows[0][:2] == ["Bénéficiaire", "Bourse engagée"]
    lea = rows[1]
    assert lea[0] == "Léa Morel"
    assert lea[1:4] == ["1000,00", "0,00", "1300,00"]
    assert lea[7:9] == ["300,00", "Surfinancé"]
    assert ["Surplus non attribué", "0,00"] == rows[-1][:2]


def test_the_csv_can_use_commas(client, olympic, athletes, gifts):
    staff(client, "view_ledgeryear")

    response = client.get(year_url(olympic, 2025, "export_csv") + "?sep=comma")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == "Léa Morel"
    assert len(rows[1]) == 10
    assert rows[1][1] == "1000.00"


def test_an_unknown_separator_is_refused(client, olympic, athletes):
    staff(client, "view_ledgeryear")

    response = client.get(year_url(olympic, 2025, "export_csv") + "?sep=tab")

    assert response.status_code == 400


def test_the_xlsx_reads_back_with_numbers_and_no_formulas(
    client, olympic, athletes, give
):
    # Given a beneficiary whose name looks like a formula and a late refund
    athletes[0].public_name = '=HYPERLINK("http://127.0.0.1/")'
    athletes[0].save()
    give("50.00", to=athletes[0])
    staff(client, "view_ledgeryear")

    response = client.get(year_url(olympic, 2025, "export_xlsx"))

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "2025"
    assert rows[1][0] == '\'=HYPERLINK("http://127.0.0.1/")'
    assert sheet.cell(row=2, column=1).data_type == "s"
    assert rows[1][3] == 50
    assert rows[1][6] == 50  # funded: nothing undesignated to share
    assert response["Content-Disposition"].endswith('ledger-passeport-jo-2025.xlsx"')


def test_negative_adjustments_stay_numbers_in_both_exports(
    client, olympic, athletes, give
):
    # Given a late refund on a closed 2025, shown as -400 € in 2026
    gift = give("1000.00", to=athletes[0])
    with freeze_time("2026-03-01 09:00:00"):
        from ledger.services import ledger_close_year

        ledger_close_year(campaign_id=olympic.pk, year=2025)
    gift.__class__.objects.filter(pk=gift.pk).update(
        refunded_amount=Money(Decimal("400.00"), "EUR")
    )
    staff(client, "view_ledgeryear")

    body = client.get(year_url(olympic, 2026, "export_csv")).content.decode()
    book = client.get(year_url(olympic, 2026, "export_xlsx")).content

    lea_csv = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))[1]
    assert lea_csv[4] == "-400,00"
    lea_xlsx = list(load_workbook(io.BytesIO(book)).active.iter_rows(values_only=True))[
        1
    ]
    assert lea_xlsx[4] == -400


def test_the_campaign_address_opens_a_year_it_covers(client, olympic, athletes):
    staff(client, "view_ledgeryear")

    with freeze_time("2026-05-01"):
        response = client.get(reverse("ledger:campaign", args=[olympic.slug]))

    assert response["Location"] == year_url(olympic, 2026)
    assert Campaign.objects.count() == 1


def test_the_close_form_appears_only_for_a_year_that_has_ended(
    client, olympic, athletes
):
    with freeze_time("2026-05-01 09:00:00"):
        staff(client, "view_ledgeryear", "close_year")
        past = client.get(year_url(olympic, 2025)).content.decode()
        current = client.get(year_url(olympic, 2026)).content.decode()

    assert 'id="ledger-confirm"' in past
    assert 'id="ledger-confirm"' not in current
