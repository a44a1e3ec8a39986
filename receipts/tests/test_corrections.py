"""Correcting receipts: cancel, replace after a partial refund, duplicate."""

import hashlib
import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from freezegun import freeze_time
from pypdf import PdfReader

from receipts.corrections import (
    receipt_cancel,
    receipt_duplicate_pdf,
    receipt_replace,
)
from receipts.declaration import tax_declaration_for_year
from receipts.models import Receipt, ReceiptEvent, ReceiptSequence
from receipts.services import receipt_issue_for_gift

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def stored_pdf(receipt) -> bytes:
    with receipt.pdf.open("rb") as handle:
        return handle.read()


def event_kinds(receipt) -> list[str]:
    return list(receipt.events.values_list("kind", flat=True))


@pytest.fixture
def issued(paid_gift):
    """Issue the receipt of a new paid gift of ``amount`` euros."""

    def issue(amount="100.00"):
        return receipt_issue_for_gift(paid_gift(amount).pk, notify=False)

    return issue


@pytest.fixture
def staff(db):
    return User.objects.create_user("finance", password="x", is_staff=True)


# --- Cancellation --------------------------------------------------------


def test_cancelled_receipt_keeps_its_number_and_pdf(issued, staff):
    receipt = issued()
    pdf_before = stored_pdf(receipt)

    returned = receipt_cancel(receipt.pk, reason="Gift refunded in full", actor=staff)

    receipt.refresh_from_db()
    assert returned.pk == receipt.pk
    assert receipt.status == Receipt.Status.CANCELLED
    assert receipt.number == returned.number
    assert receipt.cancelled_at is not None
    assert receipt.cancel_reason == "Gift refunded in full"
    assert receipt.cancelled_by == staff
    assert stored_pdf(receipt) == pdf_before
    assert hashlib.sha256(pdf_before).hexdigest() == receipt.pdf_sha256
    assert Receipt.objects.count() == 1


def test_cancellation_is_recorded_with_its_reason_and_actor(issued, staff):
    receipt = issued()

    receipt_cancel(receipt.pk, reason="Gift refunded in full", actor=staff)

    event = receipt.events.get(kind=ReceiptEvent.Kind.CANCELLED)
    assert event.actor == staff
    assert event.data == {"reason": "Gift refunded in full"}


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_cancel_without_a_reason_is_refused(issued, reason):
    receipt = issued()

    with pytest.raises(ValueError, match="a reason is required"):
        receipt_cancel(receipt.pk, reason=reason)

    receipt.refresh_from_db()
    assert receipt.status == Receipt.Status.ISSUED
    assert receipt.cancelled_at is None
    assert event_kinds(receipt) == ["issued"]


def test_cancelling_a_cancelled_receipt_changes_nothing(issued, staff):
    receipt = issued()
    receipt_cancel(receipt.pk, reason="Gift refunded in full", actor=staff)
    receipt.refresh_from_db()
    first = (receipt.cancelled_at, receipt.cancel_reason, receipt.cancelled_by_id)

    again = receipt_cancel(receipt.pk, reason="Clicked twice")

    receipt.refresh_from_db()
    assert again.pk == receipt.pk
    assert (receipt.cancelled_at, receipt.cancel_reason, receipt.cancelled_by_id) == (
        first
    )
    assert event_kinds(receipt) == ["issued", "cancelled"]


# --- Replacement after a partial refund -------------------------------------


def test_replacement_takes_the_next_number_and_references_the_old_receipt(issued):
    old = issued("100.00")

    new = receipt_replace(old.pk, kept_amount=Decimal("60.00"), reason="Refund 40")

    old.refresh_from_db()
    assert old.status == Receipt.Status.CANCELLED
    assert old.cancel_reason == "Refund 40"
    assert (new.year, new.sequence_number) == (old.year, old.sequence_number + 1)
    assert new.number == f"{old.year}-{old.sequence_number + 1:06d}"
    assert new.status == Receipt.Status.ISSUED
    assert new.replaces == old
    assert new.gift_id == old.gift_id
    assert new.amount.amount == Decimal("60.00")
    assert new.snapshot["replaces_number"] == old.number
    assert new.snapshot["number"] == new.number
    assert new.snapshot["total"] == "60.00"
    assert ReceiptSequence.objects.get(year=old.year).last_number == 2


def test_replacement_is_recorded_on_both_receipts(issued, staff):
    old = issued("100.00")

    new = receipt_replace(
        old.pk, kept_amount=Decimal("60.00"), reason="Refund 40", actor=staff
    )

    assert event_kinds(old) == ["issued", "cancelled", "replaced"]
    replaced = old.events.get(kind=ReceiptEvent.Kind.REPLACED)
    assert replaced.data == {"replaced_by": new.number, "kept_amount": "60.00"}
    assert replaced.actor == staff
    assert new.events.get().data == {"replaces": old.number, "reason": "Refund 40"}


def test_replacement_pdf_shows_the_new_number_and_the_kept_amount(issued):
    old = issued("100.00")

    new = receipt_replace(old.pk, kept_amount=Decimal("60.00"), reason="Refund 40")

    data = stored_pdf(new)
    text = pdf_text(data)
    assert f"Numéro d'ordre du reçu : {new.number}" in text
    assert "***60,00***" in text
    assert "soixante euros" in text
    assert "***100,00***" not in text
    assert f"Ce reçu annule et remplace le reçu n° {old.number}" in text
    assert hashlib.sha256(data).hexdigest() == new.pdf_sha256


def test_original_receipt_pdf_has_no_replacement_line(issued):
    text = pdf_text(stored_pdf(issued("100.00")))

    assert "annule et remplace" not in text


def test_replacement_is_emailed_to_the_donor_after_commit(
    issued, eager_tasks, django_capture_on_commit_callbacks
):
    old = issued("100.00")

    with django_capture_on_commit_callbacks(execute=True):
        new = receipt_replace(old.pk, kept_amount=Decimal("60.00"), reason="Refund")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.attachments[0][0] == f"recu-fiscal-{new.number}.pdf"
    assert old.number in message.subject
    assert old.number in message.body
    assert "60,00" in message.body
    new.refresh_from_db()
    assert new.emailed_at is not None


def test_declaration_counts_the_replacement_and_not_the_cancelled_receipt(issued):
    old = issued("100.00")

    receipt_replace(old.pk, kept_amount=Decimal("60.00"), reason="Refund 40")

    declaration = tax_declaration_for_year(old.year)
    assert declaration.receipts == 1
    assert declaration.total_eur == Decimal("60.00")
    assert declaration.cancelled_excluded == 1


@pytest.mark.parametrize("kept", ["100.00", "150.00", "0.00", "-10.00", "10.005"])
def test_replacement_with_an_amount_out_of_range_is_refused_and_takes_no_number(
    issued, kept
):
    old = issued("100.00")

    with pytest.raises(ValueError, match="amount kept"):
        receipt_replace(old.pk, kept_amount=Decimal(kept), reason="Refund")

    old.refresh_from_db()
    assert old.status == Receipt.Status.ISSUED
    assert Receipt.objects.count() == 1
    assert ReceiptSequence.objects.get(year=old.year).last_number == 1
    assert event_kinds(old) == ["issued"]


def test_replacement_with_a_float_amount_is_refused(issued):
    old = issued("100.00")

    with pytest.raises(TypeError, match="Decimal"):
        receipt_replace(old.pk, kept_amount=60.0, reason="Refund")

    assert Receipt.objects.count() == 1


def test_replacement_without_a_reason_is_refused_and_takes_no_number(issued):
    old = issued("100.00")

    with pytest.raises(ValueError, match="a reason is required"):
        receipt_replace(old.pk, kept_amount=Decimal("60.00"), reason=" ")

    assert ReceiptSequence.objects.get(year=old.year).last_number == 1


def test_repeating_a_replacement_returns_the_receipt_already_made(issued):
    old = issued("100.00")
    first = receipt_replace(old.pk, kept_amount=Decimal("60.00"), reason="Refund")

    again = receipt_replace(old.pk, kept_amount=Decimal("60.00"), reason="Refund")

    assert again.pk == first.pk
    assert Receipt.objects.count() == 2
    assert ReceiptSequence.objects.get(year=old.year).last_number == 2


def test_a_cancelled_receipt_cannot_be_replaced_for_another_amount(issued):
    old = issued("100.00")
    receipt_replace(old.pk, kept_amount=Decimal("60.00"), reason="Refund")

    with pytest.raises(ValueError, match="cancelled"):
        receipt_replace(old.pk, kept_amount=Decimal("50.00"), reason="Refund")

    assert Receipt.objects.count() == 2


def test_a_replacement_can_itself_be_replaced(issued):
    old = issued("100.00")
    first = receipt_replace(old.pk, kept_amount=Decimal("60.00"), reason="Refund")

    second = receipt_replace(first.pk, kept_amount=Decimal("50.00"), reason="Again")

    assert second.replaces == first
    assert second.snapshot["replaces_number"] == first.number
    assert list(Receipt.objects.filter(gift_id=old.gift_id, status="issued")) == [
        second
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_replacements_make_a_single_new_receipt(paid_gift, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    queued = []
    monkeypatch.setattr("receipts.tasks.receipt_email_enqueue", queued.append)
    old = receipt_issue_for_gift(paid_gift("100.00").pk, notify=False)

    def replace(_):
        try:
            return receipt_replace(
                old.pk, kept_amount=Decimal("60.00"), reason="Refund"
            ).pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        replacements = set(pool.map(replace, range(4)))

    assert len(replacements) == 1
    assert Receipt.objects.count() == 2
    assert ReceiptSequence.objects.get(year=old.year).last_number == 2
    assert queued == list(replacements)


# --- Duplicates -------------------------------------------------------------


def test_duplicate_has_the_same_number_and_a_duplicata_banner(issued):
    receipt = issued("120.50")

    data = receipt_duplicate_pdf(receipt.pk, on=date(2027, 3, 2))

    text = pdf_text(data)
    assert f"Numéro d'ordre du reçu : {receipt.number}" in text
    assert "DUPLICATA – émis le 02/03/2027" in text
    assert "***120,50***" in text


@freeze_time("2027-01-01 23:30:00")
def test_duplicate_is_dated_today_in_paris(issued):
    receipt = issued()

    data = receipt_duplicate_pdf(receipt.pk)

    # 23:30 UTC on 1 January is already 2 January in Paris.
    assert "DUPLICATA – émis le 02/01/2027" in pdf_text(data)


def test_duplicate_changes_neither_the_original_nor_the_numbering(issued):
    receipt = issued()
    original = stored_pdf(receipt)

    receipt_duplicate_pdf(receipt.pk, on=date(2027, 3, 2))

    receipt.refresh_from_db()
    assert stored_pdf(receipt) == original
    assert hashlib.sha256(original).hexdigest() == receipt.pdf_sha256
    assert "DUPLICATA" not in pdf_text(original)
    assert Receipt.objects.count() == 1
    assert ReceiptSequence.objects.get(year=receipt.year).last_number == 1


def test_duplicate_is_recorded_with_its_actor_and_date(issued, staff):
    receipt = issued()

    receipt_duplicate_pdf(receipt.pk, actor=staff, on=date(2027, 3, 2))

    event = receipt.events.get(kind=ReceiptEvent.Kind.DUPLICATED)
    assert event.actor == staff
    assert event.data == {"duplicate_of": "2027-03-02"}


def test_duplicate_of_a_replacement_shows_the_replacement(issued):
    old = issued("100.00")
    new = receipt_replace(old.pk, kept_amount=Decimal("60.00"), reason="Refund")

    text = pdf_text(receipt_duplicate_pdf(new.pk, on=date(2027, 3, 2)))

    assert new.number in text
    assert "***60,00***" in text


def test_duplicate_of_a_cancelled_receipt_is_refused(issued):
    receipt = issued()
    receipt_cancel(receipt.pk, reason="Refunded")

    with pytest.raises(ValueError, match="cancelled"):
        receipt_duplicate_pdf(receipt.pk)

    assert not receipt.events.filter(kind=ReceiptEvent.Kind.DUPLICATED).exists()


def test_staff_with_view_permission_downloads_a_duplicate(client, issued, staff):
    staff.user_permissions.add(Permission.objects.get(codename="view_receipt"))
    client.force_login(staff)
    receipt = issued()

    response = client.get(f"/admin/receipts/receipt/{receipt.pk}/duplicate/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        f"recu-fiscal-{receipt.number}-duplicata.pdf"
        in (response["Content-Disposition"])
    )
    assert "DUPLICATA" in pdf_text(response.content)
    event = receipt.events.get(kind=ReceiptEvent.Kind.DUPLICATED)
    assert event.actor == staff


def test_staff_without_receipt_permission_cannot_download_a_duplicate(
    client, issued, staff
):
    client.force_login(staff)
    receipt = issued()

    response = client.get(f"/admin/receipts/receipt/{receipt.pk}/duplicate/")

    assert response.status_code == 403
    assert not receipt.events.filter(kind=ReceiptEvent.Kind.DUPLICATED).exists()


def test_admin_refuses_a_duplicate_of_a_cancelled_receipt(client, issued, staff):
    staff.user_permissions.add(Permission.objects.get(codename="view_receipt"))
    client.force_login(staff)
    receipt = issued()
    receipt_cancel(receipt.pk, reason="Refunded")

    response = client.get(
        f"/admin/receipts/receipt/{receipt.pk}/duplicate/", follow=True
    )

    assert response.redirect_chain[-1][0].endswith(f"/{receipt.pk}/change/")
    assert "is cancelled: no duplicate" in response.content.decode()
    assert not receipt.events.filter(kind=ReceiptEvent.Kind.DUPLICATED).exists()
