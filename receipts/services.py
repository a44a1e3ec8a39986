"""Issuing and sending tax receipts.

A receipt is numbered inside the transaction that creates it: the year's
sequence row is locked, incremented and saved with the receipt, so a failed
issue gives its number back and the series never has a gap.
"""

import hashlib
import logging
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from donors.countries import country_name
from payments.conversion import gift_convert_late, gift_needs_conversion
from payments.models import Gift
from receipts.eligibility import (
    counterpart_problems,
    date_problems,
    donor_problems,
    foundation_problems,
)
from receipts.emails import donor_email
from receipts.models import Receipt, ReceiptEvent, ReceiptSequence
from receipts.pdf import render_receipt_pdf
from receipts.snapshot import (
    MODE_FOR_METHOD,
    NATURE_MONEY,
    DonorBlock,
    FoundationBlock,
    PaymentLine,
    ReceiptSnapshot,
)
from receipts.words import amount_in_words_fr

logger = logging.getLogger(__name__)

FORME_MANUAL = "Déclaration de don manuel"


class ReceiptRefused(ValueError):
    """This gift cannot have a receipt (yet); the message says why."""


class ReceiptAwaitsRate(ReceiptRefused):
    """The gift's euro amount waits for an exchange rate; the sweep retries."""


def receipt_next_number(year: int) -> tuple[int, str]:
    """Take the next number of ``year``'s series; call inside a transaction."""
    ReceiptSequence.objects.bulk_create(
        [ReceiptSequence(year=year, last_number=0)], ignore_conflicts=True
    )
    sequence = ReceiptSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number, f"{year}-{sequence.last_number:06d}"


def _foundation_block() -> FoundationBlock:
    return FoundationBlock(**settings.FOUNDATION)


def _donor_block(donor) -> DonorBlock:
    return DonorBlock(
        kind=donor.kind,
        last_name=donor.last_name,
        first_names=donor.first_name,
        company_name=donor.company_name,
        legal_form=donor.legal_form,
        siren=donor.siren,
        address_line=donor.address_line,
        postal_code=donor.postal_code,
        city=donor.city,
        country=country_name(donor.country),
    )


def _form_for(kind: str) -> tuple[str, str]:
    if kind == "individual":
        return settings.RECEIPT_FORM_INDIVIDUAL
    if kind == "company":
        return settings.RECEIPT_FORM_COMPANY
    raise ReceiptRefused(f"unknown donor type {kind!r}")


def gift_fill_euro_amount(gift: Gift) -> list[str]:
    """Convert a locked foreign-currency gift to euros if it still needs it.

    Card gifts are converted when paid (payments.conversion); this catches
    those paid while their rate was missing, and gifts dated by the day
    staff received them. The rate and the euro amount are then stored and
    never converted again.
    """
    problem = gift_convert_late(gift)
    return [problem] if problem else []


def receipt_build_snapshot(
    gift: Gift, *, number: str, issued_on: date
) -> ReceiptSnapshot:
    donor = gift.donor
    form_code, form_version = _form_for(donor.kind)
    paid_on = gift.tax_date
    total = gift.receipt_amount.amount
    return ReceiptSnapshot(
        number=number,
        issued_on=issued_on,
        form_code=form_code,
        form_version=form_version,
        foundation=_foundation_block(),
        donor=_donor_block(donor),
        payments=(PaymentLine(date=paid_on, amount=total, method=gift.method),),
        total=total,
        words=amount_in_words_fr(total),
        article_200=donor.kind == "individual",
        article_978=False,
        forme=FORME_MANUAL,
        nature=NATURE_MONEY,
        mode=MODE_FOR_METHOD[gift.method],
    )


def receipt_issue_for_gift(gift_id: int, *, notify: bool = True) -> Receipt | None:
    """Issue the receipt of a paid gift once; return it.

    None when the gift is not paid or is not receipted on its own (annual
    summary, or a donor not taxed in France).

    Safe to call any number of times, concurrently: the gift row lock makes
    the second caller find the first one's receipt.
    """
    with transaction.atomic():
        gift = (
            Gift.objects.select_for_update(of=("self",))
            .select_related("donor", "campaign")
            .get(pk=gift_id)
        )
        # Any receipt, cancelled or not, stops a second automatic issue: a
        # cancelled gift is corrected by a person, not re-receipted by a task.
        existing = (
            Receipt.objects.filter(gift_id=gift.pk)
            .order_by("-issued_at", "-pk")
            .first()
        )
        if existing is not None:
            return existing
        if gift.receipt_mode != "per_gift":
            return None
        if gift.status != Gift.Status.PAID:
            logger.info(
                "gift %s is %s: no receipt",
                gift.pk,
                gift.status,
                extra={"gift_id": gift.pk},
            )
            return None
        problems = gift_fill_euro_amount(gift)
        if problems and gift_needs_conversion(gift):
            raise ReceiptAwaitsRate(f"gift {gift.pk}: " + "; ".join(problems))
        problems += (
            foundation_problems()
            + donor_problems(gift.donor)
            + counterpart_problems(gift)
            + date_problems(gift)
        )
        if gift.receipt_amount is None:
            problems.append(
                f"the gift is in {gift.amount.currency} and has no euro amount "
                "at its date"
            )
        if problems:
            raise ReceiptRefused(f"gift {gift.pk}: " + "; ".join(problems))

        year = gift.tax_date.year
        sequence_number, number = receipt_next_number(year)
        issued_at = timezone.now()
        snapshot = receipt_build_snapshot(
            gift, number=number, issued_on=timezone.localtime(issued_at).date()
        )
        receipt = receipt_store(
            snapshot,
            year=year,
            sequence_number=sequence_number,
            donor_id=gift.donor_id,
            gift_id=gift.pk,
            amount=gift.receipt_amount,
            issued_at=issued_at,
        )
        if notify:
            transaction.on_commit(lambda: _enqueue_email(receipt.pk))
    logger.info(
        "receipt %s issued for gift %s",
        receipt.number,
        gift.pk,
        extra={"gift_id": gift.pk, "receipt_id": receipt.pk},
    )
    return receipt


def receipt_store(
    snapshot: ReceiptSnapshot,
    *,
    year: int,
    sequence_number: int,
    donor_id: int,
    gift_id: int | None,
    amount: Money,
    issued_at,
    replaces: Receipt | None = None,
    actor=None,
    event_data: dict | None = None,
) -> Receipt:
    """Render a numbered snapshot, store the PDF and its row, record ISSUED.

    Call inside the transaction that took the number, so that a failure
    anywhere here gives the number back.
    """
    pdf_bytes = render_receipt_pdf(snapshot)
    receipt = Receipt(
        number=snapshot.number,
        kind=Receipt.Kind.GIFT if gift_id else Receipt.Kind.ANNUAL,
        year=year,
        sequence_number=sequence_number,
        donor_id=donor_id,
        gift_id=gift_id,
        amount=amount,
        issued_at=issued_at,
        form_code=snapshot.form_code,
        form_version=snapshot.form_version,
        snapshot=snapshot.to_dict(),
        pdf_sha256=hashlib.sha256(pdf_bytes).hexdigest(),
        replaces=replaces,
    )
    receipt.pdf.save(f"{snapshot.number}.pdf", ContentFile(pdf_bytes), save=False)
    receipt.save()
    ReceiptEvent.objects.create(
        receipt=receipt,
        kind=ReceiptEvent.Kind.ISSUED,
        actor=actor,
        data=event_data or {},
    )
    return receipt


def _enqueue_email(receipt_id: int) -> None:
    from receipts.tasks import receipt_email_enqueue

    receipt_email_enqueue(receipt_id)


def gift_send_thanks(gift_id: int) -> bool:
    """Thank the donor of a paid gift that has no receipt of its own; once.

    Its receipt comes later (annual summary) or not at all (a donor not
    taxed in France); the email says which. Sent under the gift's row lock,
    as receipts are.
    """
    with transaction.atomic():
        gift = (
            Gift.objects.select_for_update(of=("self",))
            .select_related("donor", "campaign")
            .get(pk=gift_id)
        )
        if (
            gift.thanked_at
            or gift.status != Gift.Status.PAID
            or gift.receipt_mode == "per_gift"
        ):
            return False
        donor = gift.donor
        donor_email(
            "gift_thanks",
            donor,
            {"gift": gift, "campaign": gift.campaign, "year": gift.tax_date.year},
        ).send()
        gift.thanked_at = timezone.now()
        gift.save(update_fields=["thanked_at", "updated_at"])
    logger.info(
        "gift %s thanked (no receipt of its own)", gift.pk, extra={"gift_id": gift.pk}
    )
    return True


def receipt_send_email(receipt_id: int) -> bool:
    """Email thanks and the PDF to the donor once; True if sent now.

    The row lock is held while the mail goes out, so two workers cannot both
    send it. If the process dies after sending and before committing, the
    retry sends a second copy: a donor may rarely get the thanks twice but
    never not at all.
    """
    with transaction.atomic():
        receipt = (
            Receipt.objects.select_for_update(of=("self",))
            .select_related("donor", "gift__campaign")
            .get(pk=receipt_id)
        )
        if receipt.emailed_at is not None or receipt.status != Receipt.Status.ISSUED:
            return False
        gift = receipt.gift
        donor = receipt.donor
        message = donor_email(
            "thanks",
            donor,
            {
                "gift": gift,
                "receipt": receipt,
                "campaign": gift.campaign if gift else None,
                "year": receipt.year,
                "gift_count": receipt.lines.count(),
            },
        )
        with receipt.pdf.open("rb") as pdf:
            message.attach(
                f"recu-fiscal-{receipt.number}.pdf", pdf.read(), "application/pdf"
            )
        message.send()
        receipt.emailed_at = timezone.now()
        receipt.save(update_fields=["emailed_at"])
        ReceiptEvent.objects.create(receipt=receipt, kind=ReceiptEvent.Kind.EMAILED)
    logger.info(
        "receipt %s emailed to donor %s",
        receipt.number,
        donor.pk,
        extra={"receipt_id": receipt.pk, "gift_id": receipt.gift_id},
    )
    return True
