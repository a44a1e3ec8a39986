"""Posting a batch of offline gifts: checked as a whole, then paid at once.

A batch is posted under its row lock, in one transaction: either every line
becomes a paid gift, with totals moved and receipts queued after commit, or
nothing is written at all. A second post (a double click, two tabs, a
retry) waits for the lock, finds the batch posted and is refused.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from djmoney.money import Money

from donors.models import Donor
from donors.services import DONOR_FIELDS
from offline.checks import line_problems
from offline.models import Batch, BatchLine
from offline.selectors import donor_candidates
from payments.services import gift_record_offline
from roles.audit import audit_record

logger = logging.getLogger(__name__)


class BatchRefused(Exception):
    """The batch cannot be posted; ``problems`` says why, line by line."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def batch_problems(batch: Batch, lines: list[BatchLine]) -> list[str]:
    """Everything that stops ``batch`` from being posted, empty when none."""
    if batch.status == Batch.Status.POSTED:
        return [_("This batch is already posted.")]
    problems = []
    if len(lines) != batch.expected_count:
        problems.append(
            ngettext(
                "The batch should hold %(expected)d gift but has %(count)d.",
                "The batch should hold %(expected)d gifts but has %(count)d.",
                batch.expected_count,
            )
            % {"expected": batch.expected_count, "count": len(lines)}
        )
    currency = batch.campaign.currency
    if str(batch.expected_total.currency) != currency:
        problems.append(
            _(
                "The expected total is in %(currency)s but the campaign takes %(expected)s."
            )
            % {"currency": batch.expected_total.currency, "expected": currency}
        )
    for number, line in enumerate(lines, start=1):
        for problem in line_problems(line) + _donor_choice_problems(line):
            problems.append(
                _("Line %(number)d: %(problem)s")
                % {"number": number, "problem": problem}
            )
    if problems:
        return problems

    total = sum((line.amount for line in lines), Money(0, currency))
    if total != batch.expected_total:
        problems.append(
            _("The lines add up to %(total)s, not the expected %(expected)s.")
            % {"total": total, "expected": batch.expected_total}
        )
    return problems


def _donor_choice_problems(line: BatchLine) -> list[str]:
    """A line that may be an existing donor needs staff to say so or not."""
    if line.donor_choice == BatchLine.DonorChoice.EXISTING:
        return []
    candidates = donor_candidates(line)
    if line.donor_choice == BatchLine.DonorChoice.NEW:
        email = line.email.strip().lower()
        taken = [donor for donor in candidates if donor.email.lower() == email]
        if taken:
            return [
                _(
                    "The email belongs to donor #%(id)s: use that donor, or "
                    "correct the email."
                )
                % {"id": taken[0].pk}
            ]
        return []
    if candidates:
        return [
            _(
                "It may be an existing donor (%(ids)s): choose that donor, or "
                "choose a new donor."
            )
            % {"ids": ", ".join(f"#{donor.pk}" for donor in candidates)}
        ]
    if not line.email.strip():
        return [_("A new donor needs an email address.")]
    return []


def batch_post(batch_id: int, *, actor) -> Batch:
    """Turn every line of a balanced draft batch into a paid gift.

    Raises BatchRefused, with nothing written, when the batch is posted
    already or anything in it is wrong.
    """
    with transaction.atomic():
        batch = (
            # Not the campaign's row: it is locked last, when the totals
            # move, as a card payment locks it (see _lines_donors).
            Batch.objects.select_for_update(of=("self",))
            .select_related("campaign")
            .get(pk=batch_id)
        )
        lines = list(
            batch.lines.select_for_update(of=("self",))
            .select_related("donor", "beneficiary", "batch__campaign")
            .order_by("pk")
        )
        problems = batch_problems(batch, lines)
        if problems:
            logger.warning(
                "batch %s refused: %s problem(s)",
                batch.pk,
                len(problems),
                extra={"batch_id": batch.pk},
            )
            raise BatchRefused(problems)

        donors = _lines_donors(lines)
        for line in lines:
            line.gift = gift_record_offline(
                donor=donors[line.pk],
                campaign=batch.campaign,
                amount=line.amount,
                method=line.method,
                received_on=line.received_on,
                donor_details=_line_details(line),
                beneficiary=line.beneficiary,
                anonymous=line.anonymous,
                actor=actor,
                batch=batch.pk,
                **_line_reference(line),
            )
            line.save(update_fields=["gift"])

        batch.status = Batch.Status.POSTED
        batch.posted_by = actor
        batch.posted_at = timezone.now()
        batch.save(update_fields=["status", "posted_by", "posted_at"])
        audit_record(
            actor, "offline.batch_posted", batch,
            gifts=len(lines), total=batch.expected_total,
        )  # fmt: skip
    logger.info(
        "batch %s posted: %s gifts, %s",
        batch.pk,
        len(lines),
        batch.expected_total,
        extra={"batch_id": batch.pk},
    )
    return batch


def _line_details(line: BatchLine) -> dict:
    """The donor's details as typed; empty ones never wipe stored ones."""
    details = {
        field: getattr(line, field)
        for field in DONOR_FIELDS
        if getattr(line, field) not in ("", None)
    }
    return details


def _lines_donors(lines: list[BatchLine]) -> dict[int, Donor]:
    """Each line's donor: the one staff chose, locked, or a new one.

    Every donor is locked or created before any gift moves the campaign's
    totals, in primary-key order, as a card payment also locks its donor
    before the campaign: two batches, or a batch and a card payment, then
    never wait for each other in a circle. Lines with one new email are one
    new donor, as everywhere else.
    """
    chosen_ids = sorted(
        {line.donor_id for line in lines if line.donor_choice == "existing"}
    )
    chosen = {
        donor.pk: donor
        for donor in Donor.objects.select_for_update()
        .filter(pk__in=chosen_ids)
        .order_by("pk")
    }
    donors, created = {}, {}
    for line in lines:
        if line.donor_choice == BatchLine.DonorChoice.EXISTING:
            donors[line.pk] = chosen[line.donor_id]
            continue
        email = line.email.strip()
        if email.lower() not in created:
            created[email.lower()] = _donor_create(line, email)
        donors[line.pk] = created[email.lower()]
    return donors


def _donor_create(line: BatchLine, email: str) -> Donor:
    # A donor created meanwhile with this email (another batch, the donate
    # page) is a candidate staff have not seen: refuse rather than merge.
    try:
        with transaction.atomic():
            return Donor.objects.create(email=email, **_line_details(line))
    except IntegrityError as exc:
        raise BatchRefused(
            [
                _(
                    "A donor with the email of line #%(id)s appeared meanwhile; "
                    "check it."
                )
                % {"id": line.pk}
            ]
        ) from exc


def _line_reference(line: BatchLine) -> dict:
    """What identifies the money on the bank side, for the gift's history."""
    if line.method == BatchLine.Method.CHEQUE:
        return {
            "cheque_number": line.cheque_number,
            "cheque_bank": line.cheque_bank,
            "cheque_date": line.cheque_date.isoformat(),
        }
    if line.method == BatchLine.Method.TRANSFER:
        return {"transfer_reference": line.transfer_reference}
    return {}
