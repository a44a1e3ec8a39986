"""The donor space: sign-in links, the donor's records, privacy requests.

Donors have no password. They ask for a link by email; the link works once,
for a short while, and only a hash of its token is stored. Every function
here takes ids or model instances, never reads the request, and logs ids
only: no email address reaches a log line.
"""

import hashlib
import logging
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, mail_admins
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from donors.models import ConsentRecord, Donor
from donors.services import consent_given, consent_record
from payments.models import Gift, GiftEvent
from receipts.models import Receipt, ReceiptEvent
from receipts.selectors import issued_receipt_number
from wall.selectors import wall_export_for_donor
from wall.services import wall_erase_donor

from .models import ErasureRequest, SignInLink

logger = logging.getLogger(__name__)

# Short enough that a link forwarded or left in a mailbox soon stops working,
# long enough for a slow mail server and a donor who reads later.
LINK_MINUTES = 30
LINK_LIFETIME = timedelta(minutes=LINK_MINUTES)
# A signed-in donor is signed out this long after the link was used, however
# active: the space shows names, addresses and tax documents.
SESSION_SECONDS = 2 * 60 * 60
# Link requests allowed per fixed window. Per email, so nobody can flood a
# donor's mailbox; per client address, so nobody can mail the whole list.
REQUEST_WINDOW_SECONDS = 15 * 60
REQUESTS_PER_EMAIL = 5
REQUESTS_PER_IP = 20
# secrets.token_urlsafe(32): 256 bits, 43 URL-safe characters.
TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


class LinkRefused(Exception):
    """A sign-in link that cannot sign anyone in; ``status`` is the answer."""

    status = 400


class LinkUnknown(LinkRefused):
    """Malformed, forged or altered: no link has this token."""


class LinkExpired(LinkRefused):
    status = 410


class LinkUsed(LinkRefused):
    status = 410


# === Rate limits ===


def _counter_key(kind: str, value: str) -> str:
    # Hashed: the cache holds no addresses or emails in clear.
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"donorspace:signin:{kind}:{digest}"


def _hit(key: str) -> int:
    try:
        cache.add(key, 0, timeout=REQUEST_WINDOW_SECONDS)
        return cache.incr(key)
    except Exception:
        # A dead cache must not lock donors out of their receipts; the cost
        # is a few minutes without limits.
        logger.warning("donorspace: cache unavailable, link request not counted")
        return 0


def signin_request_allowed(*, ip: str, email: str) -> bool:
    """Count one link request; False once the address or the email is over."""
    by_ip = _hit(_counter_key("ip", ip or "unknown"))
    by_email = _hit(_counter_key("email", email))
    allowed = by_ip <= REQUESTS_PER_IP and by_email <= REQUESTS_PER_EMAIL
    if not allowed:
        logger.warning(
            "donorspace: sign-in link refused by rate limit "
            "(address count %s, email count %s)",
            by_ip,
            by_email,
        )
    return allowed


# === Sign-in links ===


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ip_hash(ip: str) -> str:
    # Keyed: there are few enough IPv4 addresses that a plain hash could be
    # reversed by trying them all.
    return salted_hmac("donorspace.signin-ip", ip or "unknown").hexdigest()


def signin_link_create(donor: Donor, *, ip: str) -> str:
    """Store a new link for ``donor``; return its token, which is never stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    SignInLink.objects.create(
        donor=donor,
        token_hash=token_hash(token),
        expires_at=timezone.now() + LINK_LIFETIME,
        requested_ip_hash=ip_hash(ip),
    )
    return token


@sensitive_variables("email", "token", "url", "body")
def signin_link_send(*, email: str, ip: str) -> bool:
    """Email a sign-in link if a donor has this address; True if one was sent.

    An unknown address gets nothing, and the caller must answer the same
    either way. The link goes only to the address stored on the donor, so
    opening it proves the person reads that mailbox.
    """
    donor = Donor.objects.filter(email__iexact=email.strip()).first()
    if donor is None:
        logger.info("donorspace: sign-in link asked for an address we do not know")
        return False

    token = signin_link_create(donor, ip=ip)
    url = settings.SITE_URL + reverse("donorspace:signin", args=[token])
    with translation.override(donor.language if donor.language == "en" else "fr"):
        context = {
            "donor": donor,
            "url": url,
            "minutes": LINK_MINUTES,
            "foundation_name": settings.FOUNDATION["name"],
        }
        subject = render_to_string("donorspace/email/signin_subject.txt", context)
        body = render_to_string("donorspace/email/signin_body.txt", context)
    EmailMessage(subject=subject.strip(), body=body, to=[donor.email]).send()
    logger.info(
        "donorspace: sign-in link sent to donor %s",
        donor.pk,
        extra={"donor_id": donor.pk},
    )
    return True


def _find_link(token: str, queryset) -> SignInLink:
    if not TOKEN_PATTERN.fullmatch(token or ""):
        raise LinkUnknown
    link = queryset.filter(token_hash=token_hash(token)).first()
    if link is None:
        raise LinkUnknown
    if link.used_at is not None:
        raise LinkUsed
    if link.expires_at <= timezone.now():
        raise LinkExpired
    return link


def signin_link_check(token: str) -> SignInLink:
    """The link this token opens, if it can still sign in; changes nothing.

    Raises LinkUnknown, LinkExpired or LinkUsed.
    """
    return _find_link(token, SignInLink.objects.all())


def signin_link_use(token: str) -> Donor:
    """Spend the link: mark it used and return its donor.

    The row lock lets exactly one of two simultaneous uses through; the
    other finds it used. Raises as ``signin_link_check`` does.
    """
    with transaction.atomic():
        link = _find_link(
            token,
            SignInLink.objects.select_for_update(of=("self",)).select_related("donor"),
        )
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    logger.info(
        "donorspace: donor %s signed in with link %s",
        link.donor_id,
        link.pk,
        extra={"donor_id": link.donor_id},
    )
    return link.donor


# === What the donor sees ===


def donor_gifts(donor: Donor):
    """The donor's gifts, newest first, with the receipt number in force.

    Failed attempts and forms left before payment are not gifts; they are
    also where someone typing another person's email leaves a trace, which
    must not show in that person's space.
    """
    given = Q(status__in=[Gift.Status.PAID, Gift.Status.REFUNDED])
    being_confirmed = Q(status=Gift.Status.PENDING) & ~Q(stripe_payment_intent_id="")
    return (
        Gift.objects.filter(given | being_confirmed, donor=donor)
        .select_related("campaign", "beneficiary")
        .prefetch_related("refunds")
        .annotate(receipt_number=issued_receipt_number())
        .order_by("-paid_at", "-created_at")
    )


def donor_receipts(donor: Donor):
    """Every receipt made out to the donor, one-gift and annual, newest first."""
    return Receipt.objects.filter(donor=donor).select_related(
        "gift__campaign", "replaces"
    )


def donor_receipt_for_download(donor: Donor, number: str) -> Receipt | None:
    """The donor's issued receipt with this number, or None.

    A cancelled receipt is not served: it must not be used, and the PDF
    itself does not say it is cancelled.
    """
    return Receipt.objects.filter(
        donor=donor, number=number, status=Receipt.Status.ISSUED
    ).first()


def receipt_record_download(receipt: Receipt) -> ReceiptEvent:
    return ReceiptEvent.objects.create(
        receipt=receipt, kind=ReceiptEvent.Kind.DOWNLOADED, data={"by": "donor"}
    )


def _when(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def _money(money) -> dict | None:
    # Strings, not floats: 0.1 + 0.2 must still read 0.30 in any JSON reader.
    if money is None:
        return None
    return {"amount": str(money.amount), "currency": str(money.currency)}


def donor_export(donor: Donor) -> dict:
    """Everything the space knows about the donor, as plain JSON values."""
    gifts = list(donor_gifts(donor))
    receipts = list(donor_receipts(donor))
    gift_events = GiftEvent.objects.filter(gift__in=gifts).select_related("gift")
    receipt_events = ReceiptEvent.objects.filter(receipt__donor=donor).select_related(
        "receipt"
    )
    return {
        "exported_at": _when(timezone.now()),
        "donor": {
            "email": donor.email,
            "kind": donor.kind,
            "first_name": donor.first_name,
            "last_name": donor.last_name,
            "company_name": donor.company_name,
            "legal_form": donor.legal_form,
            "siren": donor.siren,
            "address_line": donor.address_line,
            "postal_code": donor.postal_code,
            "city": donor.city,
            "country": donor.country,
            "language": donor.language,
            "taxed_in_france": donor.taxed_in_france,
            "receipt_preference": donor.receipt_preference,
            "created_at": _when(donor.created_at),
            "updated_at": _when(donor.updated_at),
        },
        "gifts": [
            {
                "reference": str(gift.token),
                "campaign": gift.campaign.title,
                "beneficiary": gift.beneficiary.public_name
                if gift.beneficiary
                else None,
                "amount": _money(gift.amount),
                "status": gift.status,
                "method": gift.method,
                "anonymous": gift.anonymous,
                "receipt_mode": gift.receipt_mode,
                "created_at": _when(gift.created_at),
                "paid_at": _when(gift.paid_at),
                "refunded": _money(gift.refunded_amount),
                "refunds": [
                    {"amount": _money(refund.amount), "at": _when(refund.created_at)}
                    for refund in gift.refunds.all()
                ],
                "receipt_number": gift.receipt_number,
                "details_given": gift.donor_details,
            }
            for gift in gifts
        ],
        "receipts": [
            {
                "number": receipt.number,
                "kind": receipt.kind,
                "status": receipt.status,
                "amount": _money(receipt.amount),
                "issued_at": _when(receipt.issued_at),
                "cancelled_at": _when(receipt.cancelled_at),
                "gift": str(receipt.gift.token) if receipt.gift else None,
            }
            for receipt in receipts
        ],
        "events": [
            {"gift": str(event.gift.token), "kind": event.kind, "at": _when(event.at)}
            for event in gift_events
        ]
        + [
            {"receipt": event.receipt.number, "kind": event.kind, "at": _when(event.at)}
            for event in receipt_events
        ],
        "sign_in_links": [
            {
                "created_at": _when(link.created_at),
                "expires_at": _when(link.expires_at),
                "used_at": _when(link.used_at),
            }
            for link in donor.signin_links.all()
        ],
        "erasure_requests": [
            {
                "requested_at": _when(request.requested_at),
                "handled_at": _when(request.handled_at),
            }
            for request in donor.erasure_requests.all()
        ],
        "consents": [
            {
                "topic": record.topic,
                "given": record.given,
                "at": _when(record.at),
                "wording": record.wording,
                "language": record.language,
                "source": record.source,
            }
            for record in donor.consents.all()
        ],
        "preference_changes": [
            {
                "preference": change.field,
                "from": change.old_value,
                "to": change.new_value,
                "at": _when(change.at),
            }
            for change in donor.preference_changes.all()
        ],
        "address_checks": [
            {
                "year": check.year,
                "emailed_at": _when(check.emailed_at),
                "confirmed_at": _when(check.confirmed_at),
                "corrected_at": _when(check.corrected_at),
            }
            for check in donor.address_checks.all()
        ],
        "messages_and_dedications": wall_export_for_donor(donor),
    }


# === Privacy requests ===


def erasure_request_open(donor: Donor) -> ErasureRequest | None:
    return donor.erasure_requests.filter(handled_at__isnull=True).first()


def erasure_request_record(donor: Donor) -> tuple[ErasureRequest, bool]:
    """Record the donor's request once; True if it is new.

    Finance is told by mail (the donor's id only) and handles it by hand:
    what can go goes, and receipts with what they certify stay six years.
    """
    existing = erasure_request_open(donor)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            request = ErasureRequest.objects.create(donor=donor)
    except IntegrityError:
        # Two clicks at once: the constraint let one through.
        return erasure_request_open(donor), False
    # What the donor wrote about third persons (a card's recipient and their
    # email, the honoured person) and for the wall needs no review: it goes
    # at once, without waiting for finance.
    wall_erase_donor(donor.pk)

    # Whoever asks to be erased wants no more newsletters; the withdrawal
    # is kept as the consent history's last word.
    if consent_given(donor, ConsentRecord.Topic.NEWSLETTER):
        consent_record(
            donor,
            topic=ConsentRecord.Topic.NEWSLETTER,
            given=False,
            wording=gettext("Ask to erase my data"),
            language=(translation.get_language() or "fr")[:2],
            source=ConsentRecord.Source.ERASURE,
        )
    logger.info(
        "donorspace: donor %s asked for erasure (request %s)",
        donor.pk,
        request.pk,
        extra={"donor_id": donor.pk},
    )
    mail_admins(
        f"Erasure request from donor #{donor.pk}",
        f"Donor #{donor.pk} asked on {_when(request.requested_at)} for their "
        "personal data to be erased. Answer within one month. Receipts and "
        "the gifts they certify are kept six years.",
        fail_silently=True,
    )
    return request, True
