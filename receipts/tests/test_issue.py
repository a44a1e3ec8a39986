"""Issuing receipts: numbered without gaps, once per gift, frozen, emailed once."""

import hashlib
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import transaction
from pypdf import PdfReader

from payments.models import Gift
from receipts.models import Receipt, ReceiptEvent, ReceiptSequence
from receipts.services import ReceiptRefused, receipt_issue_for_gift, receipt_send_email

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def pdf_text(receipt) -> str:
    with receipt.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_receipts_of_a_year_are_numbered_consecutively(paid_gift):
    gifts = [paid_gift(amount) for amount in ("10.00", "20.00", "30.00")]

    numbers = [receipt_issue_for_gift(gift.pk).number for gift in gifts]

    year = datetime.now(PARIS).year
    assert numbers == [f"{year}-000001", f"{year}-000002", f"{year}-000003"]


def test_issuing_twice_returns_the_same_receipt(paid_gift):
    gift = paid_gift()

    first = receipt_issue_for_gift(gift.pk)
    second = receipt_issue_for_gift(gift.pk)

    assert first.pk == second.pk
    assert Receipt.objects.count() == 1
    assert ReceiptSequence.objects.get().last_number == 1


def test_unpaid_gift_gets_no_receipt_and_consumes_no_number(make_gift):
    gift = make_gift()

    assert receipt_issue_for_gift(gift.pk) is None
    assert not ReceiptSequence.objects.filter(last_number__gt=0).exists()


def test_a_failed_issue_gives_its_number_back(paid_gift, monkeypatch):
    first, second = paid_gift("10.00"), paid_gift("20.00")

    def broken(*args, **kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("receipts.services.render_receipt_pdf", broken)
    with pytest.raises(RuntimeError):
        receipt_issue_for_gift(first.pk)
    monkeypatch.undo()
    receipt = receipt_issue_for_gift(second.pk)

    assert receipt.sequence_number == 1


def test_database_refuses_a_donor_of_unknown_type(paid_gift):
    from django.db import IntegrityError

    gift = paid_gift()

    with pytest.raises(IntegrityError), transaction.atomic():
        gift.donor.__class__.objects.filter(pk=gift.donor_id).update(kind="trust")


def test_receipt_of_unknown_donor_type_is_refused_not_defaulted(paid_gift):
    from django.utils import timezone

    from receipts.services import receipt_build_snapshot

    gift = paid_gift()
    gift.donor.kind = "trust"  # only in memory: the database refuses it

    with pytest.raises(ReceiptRefused):
        receipt_build_snapshot(
            gift, number="2026-000001", issued_on=timezone.localdate()
        )


def test_gift_paid_at_half_past_midnight_on_new_year_belongs_to_the_new_year(paid_gift):
    gift = paid_gift()
    # 23:30 UTC on 31 December is 00:30 on 1 January in Paris.
    Gift.objects.filter(pk=gift.pk).update(
        paid_at=datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    )

    receipt = receipt_issue_for_gift(gift.pk)

    assert receipt.year == 2027
    assert receipt.number == "2027-000001"
    assert "01/01/2027" in pdf_text(receipt)


def test_pdf_carries_donor_amount_words_number_and_foundation(
    paid_gift, make_donor, settings
):
    donor = make_donor(
        first_name="Pavel", last_name="Dvořák", city="Praha", country="CZ"
    )
    gift = paid_gift("120.50", donor=donor)

    receipt = receipt_issue_for_gift(gift.pk)
    text = pdf_text(receipt)

    assert receipt.number in text
    assert "Dvořák" in text
    assert "***120,50***" in text
    assert "cent vingt euros et cinquante centimes" in text
    assert settings.FOUNDATION["siren"] in text
    assert "11580*05" in text
    assert "République tchèque" in text or "Czech" in text


def test_pdf_hash_is_stored_and_matches_the_file(paid_gift):
    receipt = receipt_issue_for_gift(paid_gift().pk)

    with receipt.pdf.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == receipt.pdf_sha256


def test_editing_the_donor_later_does_not_change_the_issued_receipt(paid_gift):
    gift = paid_gift()
    receipt = receipt_issue_for_gift(gift.pk)
    before = (receipt.snapshot, receipt.pdf_sha256)

    gift.donor.address_line = "1 avenue Nouvelle"
    gift.donor.save()

    receipt.refresh_from_db()
    assert (receipt.snapshot, receipt.pdf_sha256) == before
    assert receipt.snapshot["donor"]["address_line"] == "12 rue des Écoles"


def test_receipts_cannot_be_deleted(paid_gift):
    receipt = receipt_issue_for_gift(paid_gift().pk)

    with pytest.raises(Exception, match="never deleted"):
        receipt.delete()


def test_issue_records_an_audit_event_and_queues_the_email_after_commit(
    paid_gift, django_capture_on_commit_callbacks
):
    gift = paid_gift()

    with django_capture_on_commit_callbacks() as callbacks:
        receipt = receipt_issue_for_gift(gift.pk)

    assert list(receipt.events.values_list("kind", flat=True)) == ["issued"]
    assert len(callbacks) == 1


def test_email_is_sent_once_in_the_donors_language_with_the_pdf(paid_gift, make_donor):
    donor = make_donor(language="en")
    receipt = receipt_issue_for_gift(paid_gift(donor=donor).pk)

    sent = receipt_send_email(receipt.pk)
    again = receipt_send_email(receipt.pk)

    assert (sent, again) == (True, False)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [donor.email]
    assert "Thank you" in message.subject
    assert receipt.number in message.subject
    name, content, mimetype = message.attachments[0]
    assert name == f"recu-fiscal-{receipt.number}.pdf"
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    receipt.refresh_from_db()
    assert receipt.emailed_at is not None
    assert receipt.events.filter(kind=ReceiptEvent.Kind.EMAILED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_never_share_or_skip_a_number(paid_gift):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    gifts = [paid_gift(f"{10 + n}.00") for n in range(20)]

    def issue(gift_id):
        try:
            with transaction.atomic():
                return receipt_issue_for_gift(gift_id).sequence_number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = sorted(pool.map(issue, [gift.pk for gift in gifts] * 2))

    assert sorted(set(numbers)) == list(range(1, 21))
    assert Receipt.objects.count() == 20
