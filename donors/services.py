"""State changes of donors: details, preferences and consents."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from donors.models import AddressCheck, ConsentRecord, Donor, PreferenceChange

logger = logging.getLogger(__name__)

DONOR_FIELDS = (
    "kind",
    "first_name",
    "last_name",
    "company_name",
    "legal_form",
    "siren",
    "address_line",
    "postal_code",
    "city",
    "country",
    "language",
    "taxed_in_france",
    "receipt_preference",
)


def donor_get_or_create(*, email: str, **details) -> Donor:
    """The donor with this email (any case), created with ``details`` if new.

    An existing donor is left as is: anyone can type someone's email into
    the donate form, so details typed there reach the donor only once their
    gift is paid (``donor_apply_details``).
    """
    unknown = set(details) - set(DONOR_FIELDS)
    if unknown:
        raise TypeError(f"unknown donor fields: {sorted(unknown)}")
    email = email.strip()
    for _attempt in range(2):
        donor = Donor.objects.filter(email__iexact=email).first()
        if donor is not None:
            return donor
        try:
            with transaction.atomic():
                return Donor.objects.create(email=email, **details)
        except IntegrityError:
            continue
    raise IntegrityError("could not create donor")


ADDRESS_FIELDS = ("address_line", "postal_code", "city", "country")


# Who the donor is, as opposed to where they live: a paid gift may move a
# donor's address, never turn them into someone else (decisions.md).
IDENTITY_FIELDS = ("kind", "first_name", "last_name", "company_name", "siren")


def _same(a, b) -> bool:
    return str(a or "").strip().casefold() == str(b or "").strip().casefold()


def donor_identity_differs(donor: Donor, details: dict) -> bool:
    return any(
        field in details and not _same(getattr(donor, field), details[field])
        for field in IDENTITY_FIELDS
    )


def donor_apply_details(
    donor_id: int, details: dict, *, given_at=None, established=False
) -> bool:
    """Bring a donor up to date with the details of their latest paid gift.

    ``given_at`` is when the details were typed. An address the donor
    corrected in their space after that is newer, and stays. For an
    ``established`` donor (one with an earlier paid gift), details naming
    someone else change nothing: anyone can type an email into the donate
    form, and a gift must not rename or move another person. Returns
    whether the details were applied.
    """
    if established:
        donor = Donor.objects.get(pk=donor_id)
        if donor_identity_differs(donor, details):
            logger.warning(
                "donor %s: a paid gift named someone else; details not applied",
                donor_id,
            )
            return False
    changes = {field: details[field] for field in DONOR_FIELDS if field in details}
    chosen = Donor.objects.filter(pk=donor_id, language_chosen_at__isnull=False)
    if "language" in changes and chosen.exists():
        # The language picked in the donor space outranks the page's.
        del changes["language"]
    if given_at is not None:
        corrected = AddressCheck.objects.filter(
            donor_id=donor_id, corrected_at__gt=given_at
        )
        if corrected.exists():
            for field in ADDRESS_FIELDS:
                changes.pop(field, None)
    if changes:
        Donor.objects.filter(pk=donor_id).update(**changes, updated_at=timezone.now())
    return True


def donor_upsert(*, email: str, **details) -> Donor:
    """Find the donor by email (any case) and bring their details up to date.

    The latest gift's form wins: donors move, and the next receipt must carry
    the address they just typed. Receipts already issued keep their frozen
    copy. Two concurrent first gifts from one address meet on the unique
    constraint; the loser reads the winner's row.
    """
    unknown = set(details) - set(DONOR_FIELDS)
    if unknown:
        raise TypeError(f"unknown donor fields: {sorted(unknown)}")
    email = email.strip()

    for _attempt in range(2):
        try:
            with transaction.atomic():
                donor = (
                    Donor.objects.select_for_update()
                    .filter(email__iexact=email)
                    .first()
                )
                if donor is None:
                    return Donor.objects.create(email=email, **details)
                for field, value in details.items():
                    setattr(donor, field, value)
                donor.save()
                return donor
        except IntegrityError:
            continue
    raise IntegrityError("could not create or update donor")


# === Consents ===


def consent_email_hash(email: str) -> str:
    # Keyed, so the stored value cannot be matched against a list of
    # addresses by anyone without the site's secret.
    return salted_hmac("donors.consent-email", email.strip().lower()).hexdigest()


def consent_current(donor: Donor, topic: str) -> ConsentRecord | None:
    """The donor's latest answer on ``topic``, or None if never asked."""
    return donor.consents.filter(topic=topic).order_by("-at", "-pk").first()


def consent_given(donor: Donor, topic: str) -> bool:
    latest = consent_current(donor, topic)
    return latest is not None and latest.given


def consent_record(
    donor: Donor,
    *,
    topic: str,
    given: bool,
    wording: str,
    language: str,
    source: str,
    gift=None,
) -> ConsentRecord:
    """Append the donor's answer, with the exact words they were shown."""
    record = ConsentRecord.objects.create(
        donor=donor,
        email_hash=consent_email_hash(donor.email),
        topic=topic,
        given=given,
        wording=wording,
        language=language,
        source=source,
        gift=gift,
    )
    logger.info(
        "consent %s %s by donor %s (%s)",
        topic,
        "given" if given else "withdrawn",
        donor.pk,
        source,
        extra={"donor_id": donor.pk, "consent_id": record.pk},
    )
    return record


def consent_record_from_gift(gift) -> ConsentRecord | None:
    """Record the newsletter box ticked on a gift's form, once it is paid.

    Only a paid gift counts: anyone can type someone's address into the
    donate form, and an unpaid form proves nothing about who ticked it. An
    unticked box records nothing, so it never withdraws an earlier yes.
    """
    box = (gift.donor_details or {}).get("newsletter")
    if not box:
        return None
    topic = ConsentRecord.Topic.NEWSLETTER
    if ConsentRecord.objects.filter(gift=gift, topic=topic).exists():
        return None
    return consent_record(
        gift.donor,
        topic=topic,
        given=True,
        wording=box["wording"],
        language=box["language"],
        source=ConsentRecord.Source.DONATE_FORM,
        gift=gift,
    )


# === Preferences ===


def donor_preferences_update(
    donor: Donor,
    *,
    language: str,
    receipt_preference: str,
    newsletter: bool,
    newsletter_wording: str,
    wording_language: str,
) -> list[str]:
    """Save the donor-space preferences; return the names of what changed.

    Each change is appended to its history: PreferenceChange for language
    and receipts, ConsentRecord for the newsletter.
    """
    changed = []
    with transaction.atomic():
        donor = Donor.objects.select_for_update().get(pk=donor.pk)
        for field, value in (
            ("language", language),
            ("receipt_preference", receipt_preference),
        ):
            old = getattr(donor, field)
            if old != value:
                PreferenceChange.objects.create(
                    donor=donor, field=field, old_value=old, new_value=value
                )
                setattr(donor, field, value)
                changed.append(field)
        if "language" in changed or donor.language_chosen_at is None:
            donor.language_chosen_at = timezone.now()
        donor.save()

        topic = ConsentRecord.Topic.NEWSLETTER
        if newsletter != consent_given(donor, topic):
            consent_record(
                donor,
                topic=topic,
                given=newsletter,
                wording=newsletter_wording,
                language=wording_language,
                source=ConsentRecord.Source.DONOR_SPACE,
            )
            changed.append("newsletter")
    logger.info(
        "donor %s saved preferences (%s)",
        donor.pk,
        ", ".join(changed) or "no change",
        extra={"donor_id": donor.pk},
    )
    return changed
