"""The yearly address check before annual summaries are issued.

Donors whose gifts of a year will be summed up in January are asked, once
per tax year, to confirm or correct the postal address their summary will
print. The run is safe to repeat: the (donor, year) row is claimed before
the email goes, so a second run, or a second worker, sends nothing more.

A donor who never answers gets their summary with the address they last
gave: the annual run does not wait, since a receipt that is late helps no
one's tax return, and an address can be corrected by a replacement receipt.
"""

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from donors.models import AddressCheck, Donor
from donors.services import ADDRESS_FIELDS
from payments.models import Gift

logger = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")


def address_check_year(today: date | None = None) -> int:
    """The tax year a check made ``today`` is for.

    In January the summaries of the year just over are still to come, so a
    January check is about last year; any other month, about this year.
    """
    today = today or timezone.localdate()
    return today.year - 1 if today.month == 1 else today.year


def address_check_candidates(year: int):
    """Donors who will get a summary of ``year``: annual-receipt gifts, or
    several gifts receipted at all."""
    start = datetime(year, 1, 1, tzinfo=PARIS)
    end = datetime(year + 1, 1, 1, tzinfo=PARIS)
    in_year = Q(gifts__status=Gift.Status.PAID) & (
        Q(gifts__received_on__year=year)
        | Q(
            gifts__received_on__isnull=True,
            gifts__paid_at__gte=start,
            gifts__paid_at__lt=end,
        )
    )
    return (
        Donor.objects.annotate(
            annual=Count("gifts", filter=in_year & Q(gifts__receipt_mode="annual")),
            receipted=Count("gifts", filter=in_year & ~Q(gifts__receipt_mode="none")),
        )
        .filter(Q(annual__gte=1) | Q(receipted__gte=2))
        .order_by("pk")
    )


def address_check_open(donor: Donor) -> AddressCheck | None:
    """The donor's check for the current tax year, if still unanswered."""
    return donor.address_checks.filter(
        year=address_check_year(),
        confirmed_at__isnull=True,
        corrected_at__isnull=True,
    ).first()


def _claim(donor_id: int, year: int) -> AddressCheck | None:
    with transaction.atomic():
        AddressCheck.objects.get_or_create(donor_id=donor_id, year=year)
        check = (
            AddressCheck.objects.select_for_update()
            .select_related("donor")
            .get(donor_id=donor_id, year=year)
        )
        if check.emailed_at is not None or check.answered:
            return None
        check.emailed_at = timezone.now()
        check.save(update_fields=["emailed_at"])
    return check


def address_check_request(donor_id: int, year: int) -> bool:
    """Email the donor their check for ``year``; False if already done.

    At most once: the row is marked emailed before the email goes. A failed
    send clears the mark so the next run tries again; a process killed in
    between leaves the donor unasked, who then gets the known address.
    """
    from receipts.emails import donor_email

    check = _claim(donor_id, year)
    if check is None:
        return False
    context = {
        "year": year,
        "next_year": year + 1,
        "url": settings.SITE_URL + reverse("donorspace:request"),
    }
    try:
        donor_email("address_check", check.donor, context).send()
    except Exception:
        AddressCheck.objects.filter(pk=check.pk).update(emailed_at=None)
        logger.warning(
            "address check %s of donor %s not emailed; the next run retries",
            year,
            donor_id,
            extra={"donor_id": donor_id},
        )
        return False
    logger.info(
        "address check %s emailed to donor %s",
        year,
        donor_id,
        extra={"donor_id": donor_id},
    )
    return True


def address_check_run(year: int) -> dict:
    """Ask every candidate of ``year`` who was not asked yet."""
    sent, skipped = 0, 0
    for donor_id in address_check_candidates(year).values_list("pk", flat=True):
        if address_check_request(donor_id, year):
            sent += 1
        else:
            skipped += 1
    logger.info("address check %s: %s emailed, %s skipped", year, sent, skipped)
    return {"sent": sent, "skipped": skipped}


def _answer(donor: Donor, answer: str) -> AddressCheck:
    # ``answer`` is the field the donor's answer stamps: confirmed_at or
    # corrected_at.
    check, _created = AddressCheck.objects.get_or_create(
        donor=donor, year=address_check_year()
    )
    AddressCheck.objects.filter(pk=check.pk).update(**{answer: timezone.now()})
    check.refresh_from_db()
    logger.info(
        "donor %s answered the address check %s (%s)",
        donor.pk,
        check.year,
        answer,
        extra={"donor_id": donor.pk},
    )
    return check


def address_confirm(donor: Donor) -> AddressCheck:
    """The donor says the address on file is right for this year's summary."""
    return _answer(donor, "confirmed_at")


def address_correct(donor: Donor, address: dict) -> AddressCheck:
    """Store the corrected address; receipts issued from now on print it.

    Receipts already issued keep the address frozen in their snapshot.
    """
    with transaction.atomic():
        Donor.objects.filter(pk=donor.pk).update(
            **{field: address[field] for field in ADDRESS_FIELDS},
            updated_at=timezone.now(),
        )
        return _answer(donor, "corrected_at")
