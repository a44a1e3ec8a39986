"""Annual summary receipts, and gifts that get no receipt of their own."""

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from djmoney.money import Money
from freezegun import freeze_time
from pypdf import PdfReader

from payments.models import Gift
from receipts.annual import receipt_issue_annual
from receipts.corrections import receipt_cancel
from receipts.models import Receipt
from receipts.services import ReceiptRefused, receipt_issue_for_gift
from receipts.tasks import receipt_issue_task

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def paid_in(gift, *moment):
    Gift.objects.filter(pk=gift.pk).update(paid_at=datetime(*moment, tzinfo=PARIS))
    return gift


def pdf_text(receipt) -> str:
    with receipt.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def annual_donor(make_donor):
    return make_donor(email="annual@example.org", receipt_preference="annual")


@pytest.fixture
def year_2025(paid_gift, annual_donor):
    """Three 2025 gifts for the annual summary, and one receipted on its own."""
    gifts = [
        paid_in(
            paid_gift("30.00", donor=annual_donor, receipt_mode="annual"),
            2025,
            1,
            5,
            10,
        ),
        paid_in(
            paid_gift("45.50", donor=annual_donor, receipt_mode="annual"),
            2025,
            6,
            5,
            10,
        ),
        paid_in(
            paid_gift("30.00", donor=annual_donor, receipt_mode="annual"),
            2025,
            12,
            31,
            23,
        ),
    ]
    own = paid_in(paid_gift("100.00", donor=annual_donor), 2025, 3, 1, 12)
    receipt_issue_for_gift(own.pk)
    return gifts


def annual_receipts():
    return Receipt.objects.filter(kind=Receipt.Kind.ANNUAL)


def test_annual_run_lists_each_payment_and_the_total(year_2025, annual_donor):
    call_command("issue_annual_receipts", year="2025")

    receipt = annual_receipts().get()
    assert receipt.donor == annual_donor
    assert receipt.gift is None
    assert receipt.amount == Money(Decimal("105.50"), "EUR")
    assert receipt.year == 2025
    assert sorted(receipt.lines.values_list("gift_id", flat=True)) == sorted(
        g.pk for g in year_2025
    )
    text = pdf_text(receipt)
    for day in ("05/01/2025", "05/06/2025", "31/12/2025"):
        assert day in text
    assert "***105,50***" in text
    assert "cent cinq euros et cinquante centimes" in text
    assert "100,00" not in text  # the gift receipted on its own stays off


def test_annual_receipt_is_emailed_with_its_own_subject(
    year_2025, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("issue_annual_receipts", year="2025")

    receipt = annual_receipts().get()
    message = mail.outbox[-1]
    assert receipt.number in message.subject
    assert "2025" in message.subject
    assert message.attachments[0][0] == f"recu-fiscal-{receipt.number}.pdf"


def test_second_run_issues_nothing_more(year_2025):
    call_command("issue_annual_receipts", year="2025")
    call_command("issue_annual_receipts", year="2025")

    assert annual_receipts().count() == 1


def test_dry_run_says_what_would_be_issued_and_issues_nothing(year_2025, capsys):
    call_command("issue_annual_receipts", year="2025", dry_run=True)

    assert (
        "1 annual receipts would be issued for 2025 (3 gifts, 105.50 EUR)"
        in capsys.readouterr().out
    )
    assert not annual_receipts().exists()


@freeze_time("2026-12-04 12:00:00")
def test_a_year_not_over_is_refused_and_takes_no_number(year_2025):
    with pytest.raises(CommandError, match="2026 is not over yet"):
        call_command("issue_annual_receipts", year="2026")
    assert not annual_receipts().exists()


@pytest.mark.parametrize(
    ("year", "message"), [("abc", "four-digit year"), ("1850", "between 2000")]
)
def test_bad_year_is_refused(year, message):
    with pytest.raises(CommandError, match=message):
        call_command("issue_annual_receipts", year=year)


def test_gift_of_the_next_year_waits_for_its_own_summary(paid_gift, annual_donor):
    # 00:30 on 1 January 2026 in Paris is still 2025 in UTC, but belongs to 2026.
    paid_in(
        paid_gift("20.00", donor=annual_donor, receipt_mode="annual"), 2026, 1, 1, 0, 30
    )

    call_command("issue_annual_receipts", year="2025")

    assert not annual_receipts().exists()


def test_cancelled_summary_frees_its_gifts_for_a_new_one(year_2025, annual_donor):
    first = receipt_issue_annual(annual_donor.pk, 2025)
    receipt_cancel(first.pk, reason="address was wrong")

    second = receipt_issue_annual(annual_donor.pk, 2025)

    assert second.sequence_number == first.sequence_number + 1
    assert second.lines.filter(active=True).count() == 3
    assert not first.lines.filter(active=True).exists()


def test_refused_summary_takes_no_number(year_2025, annual_donor):
    annual_donor.__class__.objects.filter(pk=annual_donor.pk).update(postal_code="")

    with pytest.raises(ReceiptRefused, match="postal_code"):
        receipt_issue_annual(annual_donor.pk, 2025)
    assert not annual_receipts().exists()


def test_annual_gift_is_thanked_without_a_receipt_of_its_own(
    paid_gift, annual_donor, eager_tasks
):
    gift = paid_gift("25.00", donor=annual_donor, receipt_mode="annual")

    receipt_issue_task.delay(gift.pk)
    receipt_issue_task.delay(gift.pk)

    assert not Receipt.objects.filter(gift=gift).exists()
    assert len(mail.outbox) == 1
    assert "January" in mail.outbox[0].body or "janvier" in mail.outbox[0].body
    assert mail.outbox[0].attachments == []
    gift.refresh_from_db()
    assert gift.thanked_at is not None


def test_donor_not_taxed_in_france_gets_thanks_and_no_french_receipt(
    paid_gift, make_donor, eager_tasks
):
    donor = make_donor(email="pavel@example.org", taxed_in_france=False, language="en")
    gift = paid_gift("40.00", donor=donor, receipt_mode="none")

    receipt_issue_task.delay(gift.pk)

    assert not Receipt.objects.exists()
    assert "Transnational Giving Europe" in mail.outbox[0].body


def test_counterpart_above_a_quarter_of_the_gift_holds_the_receipt(paid_gift):
    gift = paid_gift("100.00", counterpart_value=Money(Decimal("30.00"), "EUR"))

    with pytest.raises(ReceiptRefused, match="exceed 25%"):
        receipt_issue_for_gift(gift.pk)


def test_counterparts_above_the_yearly_cap_hold_the_receipt(paid_gift, make_donor):
    donor = make_donor()
    paid_gift("200.00", donor=donor, counterpart_value=Money(Decimal("40.00"), "EUR"))
    second = paid_gift(
        "200.00", donor=donor, counterpart_value=Money(Decimal("40.00"), "EUR")
    )

    with pytest.raises(ReceiptRefused, match="yearly cap of 73"):
        receipt_issue_for_gift(second.pk)


def test_company_counterparts_do_not_hold_the_receipt(paid_gift, make_donor):
    company = make_donor(
        email="sas@example.org", kind="company", company_name="Atelier", legal_form="SAS",
        siren="909722233",
    )  # fmt: skip
    gift = paid_gift(
        "100.00", donor=company, counterpart_value=Money(Decimal("30.00"), "EUR")
    )

    assert receipt_issue_for_gift(gift.pk).number
