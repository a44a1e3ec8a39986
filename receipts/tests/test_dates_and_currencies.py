"""Which date and which euro amount a receipt certifies; telling donors of cancellations."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from djmoney.money import Money

from payments.models import Gift
from receipts.corrections import receipt_cancel, receipt_replace
from receipts.models import ReceiptEvent
from receipts.services import (
    ReceiptAwaitsRate,
    ReceiptRefused,
    receipt_issue_for_gift,
)
from receipts.tests.test_issue import pdf_text

pytestmark = pytest.mark.django_db


def test_cheque_received_in_december_is_dated_and_numbered_in_that_year(paid_gift):
    gift = paid_gift("80.00", method=Gift.Method.CHEQUE)
    Gift.objects.filter(pk=gift.pk).update(received_on=date(2025, 12, 30))

    receipt = receipt_issue_for_gift(gift.pk)

    assert receipt.number == "2025-000001"
    text = pdf_text(receipt)
    assert "30/12/2025" in text
    assert "☒ Chèque" in text
    assert "quatre-vingts euros" in text


def gift_in_czk(campaign, donor, **fields):
    return Gift.objects.create(
        donor=donor,
        campaign=campaign,
        amount=Money(Decimal("1250.00"), "CZK"),
        status=Gift.Status.PAID,
        paid_at=timezone.now(),
        **fields,
    )


def test_gift_in_another_currency_without_a_rate_waits_naming_its_date(
    campaign, make_donor
):
    gift = gift_in_czk(campaign, make_donor())
    day = gift.tax_date.isoformat()

    with pytest.raises(ReceiptAwaitsRate, match=f"no ECB rate for CZK on {day}"):
        receipt_issue_for_gift(gift.pk)


def test_gift_in_another_currency_is_receipted_in_euros_at_its_stored_rate(
    campaign, make_donor
):
    gift = gift_in_czk(
        campaign,
        make_donor(),
        amount_eur=Money(Decimal("49.80"), "EUR"),
        fx_rate=Decimal("25.10"),
    )

    receipt = receipt_issue_for_gift(gift.pk)

    assert receipt.amount == Money(Decimal("49.80"), "EUR")
    assert "***49,80***" in pdf_text(receipt)


def test_cancelled_receipt_is_announced_to_the_donor_once(
    paid_gift, eager_tasks, django_capture_on_commit_callbacks
):
    receipt = receipt_issue_for_gift(paid_gift().pk)

    with django_capture_on_commit_callbacks(execute=True):
        receipt_cancel(receipt.pk, reason="gift refunded")
    with django_capture_on_commit_callbacks(execute=True):
        receipt_cancel(receipt.pk, reason="gift refunded")

    assert len(mail.outbox) == 1
    assert receipt.number in mail.outbox[0].subject
    assert (
        "ne pas l'utiliser" in mail.outbox[0].body
        or "do not use" in mail.outbox[0].body
    )
    assert (
        receipt.events.filter(kind=ReceiptEvent.Kind.CANCELLATION_EMAILED).count() == 1
    )


def test_replacement_tells_the_donor_once_with_the_new_receipt(
    paid_gift, eager_tasks, django_capture_on_commit_callbacks
):
    receipt = receipt_issue_for_gift(paid_gift("100.00").pk)

    with django_capture_on_commit_callbacks(execute=True):
        new = receipt_replace(
            receipt.pk, kept_amount=Decimal("70.00"), reason="partial refund"
        )

    assert len(mail.outbox) == 1
    assert new.number in mail.outbox[0].subject


def test_credited_date_rule_waits_for_the_date_the_money_arrived(paid_gift, settings):
    settings.RECEIPT_DATE_RULE = "credited"
    gift = paid_gift("50.00")

    with pytest.raises(ReceiptRefused, match="not recorded yet"):
        receipt_issue_for_gift(gift.pk)

    Gift.objects.filter(pk=gift.pk).update(received_on=date(2026, 3, 2))
    assert (
        receipt_issue_for_gift(gift.pk).snapshot["payments"][0]["date"] == "2026-03-02"
    )


def test_cheque_needs_its_received_date_whatever_the_rule(paid_gift):
    gift = paid_gift("50.00", method=Gift.Method.CHEQUE)

    with pytest.raises(ReceiptRefused, match="cheque or cash"):
        receipt_issue_for_gift(gift.pk)


def test_gift_in_another_currency_is_converted_at_the_ecb_rate_of_its_day(
    campaign, make_donor
):
    from fx.models import FxRate

    gift = gift_in_czk(
        campaign, make_donor(), received_on=date(2026, 12, 5)
    )  # a Saturday
    FxRate.objects.create(
        currency="CZK", day=date(2026, 12, 4), per_eur=Decimal("25.125"), source="test"
    )
    FxRate.objects.create(
        currency="CZK", day=date(2026, 12, 7), per_eur=Decimal("25.300"), source="test"
    )

    receipt = receipt_issue_for_gift(gift.pk)

    gift.refresh_from_db()
    assert gift.fx_rate == Decimal("25.125")
    assert receipt.amount == Money(Decimal("49.75"), "EUR")
    assert gift.events.filter(kind="converted").exists()


def test_missing_rate_refuses_the_receipt_naming_the_day(campaign, make_donor):
    gift = gift_in_czk(campaign, make_donor(), received_on=date(2026, 12, 2))

    with pytest.raises(ReceiptRefused, match="no ECB rate for CZK on 2026-12-02"):
        receipt_issue_for_gift(gift.pk)
