"""A receipt is refused, before any number is taken, when a mention is missing."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from donors.models import Donor
from receipts.eligibility import donor_problems, foundation_problems
from receipts.models import ReceiptSequence
from receipts.services import ReceiptRefused, receipt_issue_for_gift
from receipts.tasks import receipt_issue_task, receipt_sweep_task

pytestmark = pytest.mark.django_db


def test_demo_foundation_block_is_complete():
    assert foundation_problems() == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"siren": "130026124"}, "check digit"),
        ({"siren": "", "rna": ""}, "SIREN or an RNA"),
        ({"siren": "", "rna": "W12345"}, "RNA"),
        ({"address_line": " "}, "address_line is empty"),
        ({"signatory_name": ""}, "signatory_name is empty"),
    ],
)
def test_incomplete_foundation_block_is_named(settings, changes, problem):
    settings.FOUNDATION = {**settings.FOUNDATION, **changes}

    assert any(problem in line for line in foundation_problems())


def test_system_check_refuses_to_start_with_a_bad_siren(settings):
    settings.FOUNDATION = {**settings.FOUNDATION, "siren": "123456789"}

    with pytest.raises(SystemCheckError, match="receipts.E001"):
        call_command("check")


def test_incomplete_foundation_refuses_the_receipt_and_takes_no_number(
    settings, paid_gift
):
    gift = paid_gift()
    settings.FOUNDATION = {**settings.FOUNDATION, "siren": "000000001"}

    with pytest.raises(ReceiptRefused, match="SIREN"):
        receipt_issue_for_gift(gift.pk)
    assert not ReceiptSequence.objects.filter(last_number__gt=0).exists()


def test_donor_without_address_gets_no_receipt_and_no_number(paid_gift, make_donor):
    donor = make_donor()
    Donor.objects.filter(pk=donor.pk).update(address_line="")
    gift = paid_gift(donor=donor)

    with pytest.raises(ReceiptRefused, match="address_line"):
        receipt_issue_for_gift(gift.pk)
    assert not ReceiptSequence.objects.filter(last_number__gt=0).exists()


def test_company_needs_legal_form_and_valid_siren(make_donor):
    donor = make_donor(
        kind="company", company_name="Atelier", legal_form="", siren="123"
    )

    problems = donor_problems(donor)

    assert "donor legal_form is empty" in problems
    assert any("SIREN" in problem for problem in problems)


def test_refused_receipt_is_recorded_on_the_gift_and_skipped_by_the_sweep(
    paid_gift, make_donor, eager_tasks
):
    donor = make_donor()
    Donor.objects.filter(pk=donor.pk).update(city="")
    gift = paid_gift(donor=donor)

    assert receipt_issue_task.delay(gift.pk).get() is None

    event = gift.events.get(kind="receipt_refused")
    assert "city" in event.data["reason"]
    assert receipt_sweep_task(min_age_seconds=0)["receipts"] == 0
