"""The only module that talks to Stripe.

Everything else calls these functions with domain values and gets plain
results or one of three errors back: ``PaymentDeclined`` (the donor can try
another card), ``GatewayUnavailable`` (try again later; nothing was charged
twice, because every write carries an idempotency key derived from our own
ids) and ``GatewayError`` (a bug or a configuration problem).
"""

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import stripe
from django.conf import settings
from djmoney.money import Money

from payments.currency import from_minor_units, to_minor_units

logger = logging.getLogger(__name__)


class GatewayError(Exception):
    """Stripe refused the request for a reason no retry will fix."""


class GatewayUnavailable(GatewayError):
    """Stripe could not be reached or answered with a server error."""


class GatewayNotFound(GatewayError):
    """Stripe has no such object (a forged or foreign id)."""


class PaymentDeclined(GatewayError):
    """The card or account was declined; ``code`` is Stripe's decline code."""

    def __init__(self, message: str, code: str = "", payment_intent_id: str = ""):
        super().__init__(message)
        self.code = code
        # Real Stripe names the intent it created in the error, so a charge
        # that needs the donor's authentication can still be completed.
        self.payment_intent_id = payment_intent_id


# Stripe's payment method type for each of our methods.
STRIPE_METHOD_TYPES = {"card": "card", "sepa": "sepa_debit"}


@dataclass(frozen=True)
class PaymentMethodDetails:
    """What we keep of a payment method: expiry for cards, a hint for IBANs."""

    type: str
    exp_month: int | None = None
    exp_year: int | None = None
    country: str = ""
    last4: str = ""
    mandate_reference: str = ""


@dataclass(frozen=True)
class IntentState:
    """What we need to know of a PaymentIntent or SetupIntent."""

    id: str
    status: str
    client_secret: str
    payment_method_id: str = ""
    charge_id: str = ""
    amount_minor: int = 0
    currency: str = ""
    failure_code: str = ""
    # The gift the intent was made for, from its metadata: it lets a webhook
    # find and pay a gift whose own record of the intent was lost.
    gift_id: str = ""


@cache
def _client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        # The library waits 80 s by default; a donor's request and its open
        # transaction must not (a hung Stripe would hold every web worker).
        http_client=stripe.RequestsClient(
            timeout=(
                settings.STRIPE_CONNECT_TIMEOUT_SECONDS,
                settings.STRIPE_TIMEOUT_SECONDS,
            )
        ),
    )


def reset_client() -> None:
    """Forget the cached client (tests point it at another offline Stripe)."""
    _client.cache_clear()


def _call(what: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.StripeError as exc:
        raise _translate(what, exc) from exc


def _translate(what: str, exc: stripe.StripeError) -> GatewayError:
    """Our error for a Stripe error, logged at the level it deserves."""
    if isinstance(exc, stripe.CardError):
        error = getattr(exc, "error", None)
        intent = getattr(error, "payment_intent", None) if error else None
        return PaymentDeclined(
            exc.user_message or str(exc), exc.code or "", _id_of(intent)
        )
    if exc.http_status == 404:
        # Real Stripe says InvalidRequestError, the offline one a bare 404.
        logger.warning("stripe %s: no such object", what)
        return GatewayNotFound(str(exc))
    if isinstance(
        exc, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError
    ):
        logger.warning(
            "stripe %s: unavailable (%s %s)", what, type(exc).__name__, exc.http_status
        )
        return GatewayUnavailable(str(exc))
    logger.error("stripe %s failed: %s", what, type(exc).__name__)
    return GatewayError(str(exc))


def _id_of(value) -> str:
    # Real Stripe returns ids unless expanded; the offline Stripe embeds
    # whole objects. Accept both.
    if not value:
        return ""
    return value if isinstance(value, str) else value.id


def _intent_state(intent) -> IntentState:
    error = getattr(intent, "last_payment_error", None) or getattr(
        intent, "last_setup_error", None
    )
    return IntentState(
        id=intent.id,
        status=intent.status,
        client_secret=getattr(intent, "client_secret", "") or "",
        payment_method_id=_id_of(getattr(intent, "payment_method", None)),
        charge_id=_id_of(getattr(intent, "latest_charge", None)),
        amount_minor=getattr(intent, "amount", 0) or 0,
        currency=(getattr(intent, "currency", "") or "").upper(),
        failure_code=(getattr(error, "code", "") or "") if error else "",
        gift_id=str((_metadata(intent)).get("gift_id", "")),
    )


def _metadata(intent) -> dict:
    metadata = getattr(intent, "metadata", None)
    if metadata is None:
        return {}
    return metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)


def customer_create(*, name: str, email: str, gift_id: int, key: str) -> str:
    customer = _call(
        "customer create",
        _client().v1.customers.create,
        params={"name": name, "email": email, "metadata": {"gift_id": str(gift_id)}},
        options={"idempotency_key": key},
    )
    return customer.id


def setup_intent_create(
    *, customer_id: str, gift_id: int, key: str, method: str = "card"
) -> IntentState:
    intent = _call(
        "setup intent create",
        _client().v1.setup_intents.create,
        params={
            "customer": customer_id,
            "payment_method_types": [STRIPE_METHOD_TYPES[method]],
            "usage": "off_session",
            "metadata": {"gift_id": str(gift_id)},
        },
        options={"idempotency_key": key},
    )
    return _intent_state(intent)


def setup_intent_retrieve(setup_intent_id: str) -> IntentState:
    intent = _call(
        "setup intent retrieve", _client().v1.setup_intents.retrieve, setup_intent_id
    )
    return _intent_state(intent)


def payment_method_attach(*, payment_method_id: str, customer_id: str) -> None:
    # The offline Stripe does not attach the method a SetupIntent confirmed
    # (real Stripe does, and then answers this call with the same method).
    _call(
        "payment method attach",
        _client().v1.payment_methods.attach,
        payment_method_id,
        params={"customer": customer_id},
    )


def payment_intent_charge(
    *,
    amount: Money,
    customer_id: str,
    payment_method_id: str,
    metadata: dict[str, str],
    key: str,
    method: str = "card",
    off_session: bool = False,
) -> IntentState:
    """Create and confirm a PaymentIntent for ``amount``.

    ``key`` must be derived from our gift (and payment method) so that a
    retried request can never charge twice. ``off_session`` is for the
    monthly scheduler: the donor is not there to authenticate.
    """
    params = {
        "amount": to_minor_units(amount),
        "currency": str(amount.currency).lower(),
        "customer": customer_id,
        "payment_method": payment_method_id,
        "payment_method_types": [STRIPE_METHOD_TYPES[method]],
        "confirm": True,
        "metadata": metadata,
    }
    if off_session:
        params["off_session"] = True
    intent = _call(
        "payment intent charge",
        _client().v1.payment_intents.create,
        params=params,
        options={"idempotency_key": key},
    )
    return _intent_state(intent)


def payment_method_details(payment_method_id: str) -> PaymentMethodDetails:
    method = _call(
        "payment method retrieve",
        _client().v1.payment_methods.retrieve,
        payment_method_id,
    )
    if method.type == "card":
        card = method.card
        return PaymentMethodDetails(
            type="card",
            exp_month=getattr(card, "exp_month", None),
            exp_year=getattr(card, "exp_year", None),
            last4=getattr(card, "last4", "") or "",
        )
    sepa = getattr(method, "sepa_debit", None)
    return PaymentMethodDetails(
        type=method.type,
        country=(getattr(sepa, "country", "") or "") if sepa else "",
        last4=(getattr(sepa, "last4", "") or "") if sepa else "",
        mandate_reference=(getattr(sepa, "mandate_reference", "") or "")
        if sepa
        else "",
    )


def payment_intent_retrieve(payment_intent_id: str) -> IntentState:
    intent = _call(
        "payment intent retrieve",
        _client().v1.payment_intents.retrieve,
        payment_intent_id,
    )
    return _intent_state(intent)


def refund_create(
    *, payment_intent_id: str, amount: Money, reason: str, key: str
) -> tuple[str, str]:
    """Refund ``amount`` of a PaymentIntent; return (refund id, status).

    ``key`` must be derived from the gift and what was refunded before, so
    that a retry after a lost answer returns the same refund instead of
    making a second one.
    """
    refund = _call(
        "refund create",
        _client().v1.refunds.create,
        params={
            "payment_intent": payment_intent_id,
            "amount": to_minor_units(amount),
            "metadata": {"reason": reason[:500]},
        },
        options={"idempotency_key": key},
    )
    return refund.id, refund.status


def charge_refunded_minor(charge_id: str) -> tuple[int, str, str]:
    """(amount refunded so far in minor units, currency, PaymentIntent id)."""
    charge = _call("charge retrieve", _client().v1.charges.retrieve, charge_id)
    return (
        charge.amount_refunded or 0,
        (charge.currency or "").upper(),
        _id_of(getattr(charge, "payment_intent", None)),
    )


# === Balance transactions and payouts (read only, for reconciliation) ===

# Stripe's largest page; fewer round trips for a day's transactions.
PAGE_SIZE = 100


@dataclass(frozen=True)
class BalanceLine:
    """One balance transaction: money that moved in our Stripe balance.

    ``amount`` is gross (negative for refunds and payouts), ``fee`` what
    Stripe kept, ``net`` what the balance moved by, all three in the
    balance's currency. ``source_amount`` is the charge or refund as the donor
    saw it (its own currency, before any conversion), for comparing with a
    gift. ``charge_id`` and ``payment_intent_id`` are set for charges and
    refunds, ``refund_id`` for refunds, ``payout_id`` for a payout's own
    transaction.
    """

    id: str
    type: str
    amount: Money
    fee: Money
    net: Money
    created_at: datetime
    available_at: datetime
    source_amount: Money | None = None
    charge_id: str = ""
    payment_intent_id: str = ""
    refund_id: str = ""
    payout_id: str = ""


@dataclass(frozen=True)
class PayoutLine:
    """One payout from the Stripe balance to the foundation's bank account."""

    id: str
    amount: Money
    status: str
    automatic: bool
    created_at: datetime
    arrival_at: datetime


def _timestamp(seconds) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def _created_range(created_from: datetime, created_before: datetime) -> dict:
    return {"gte": int(created_from.timestamp()), "lt": int(created_before.timestamp())}


def _paged(what: str, list_fn, params: dict) -> Iterator:
    """Every object of a Stripe list, page by page (``starting_after``)."""
    params = {**params, "limit": PAGE_SIZE}
    while True:
        page = _call(what, list_fn, params=params)
        yield from page.data
        if not page.has_more or not page.data:
            return
        params = {**params, "starting_after": page.data[-1].id}


def _balance_line(txn) -> BalanceLine:
    currency = txn.currency.upper()
    source = getattr(txn, "source", None)
    source_id = _id_of(source)
    line = {
        "id": txn.id,
        "type": txn.type,
        "amount": from_minor_units(txn.amount, currency),
        "fee": from_minor_units(txn.fee, currency),
        "net": from_minor_units(txn.net, currency),
        "created_at": _timestamp(txn.created),
        "available_at": _timestamp(txn.available_on),
    }
    if getattr(source, "amount", None) is not None:
        line["source_amount"] = from_minor_units(source.amount, source.currency.upper())
    if source_id.startswith("ch_") or source_id.startswith("py_"):
        line["charge_id"] = source_id
        line["payment_intent_id"] = _id_of(getattr(source, "payment_intent", None))
    elif source_id.startswith("re_") or source_id.startswith("pyr_"):
        line["refund_id"] = source_id
        line["charge_id"] = _id_of(getattr(source, "charge", None))
        line["payment_intent_id"] = _id_of(getattr(source, "payment_intent", None))
    elif source_id.startswith("po_"):
        line["payout_id"] = source_id
    return BalanceLine(**line)


def balance_transactions_list(
    *, created_from: datetime, created_before: datetime
) -> Iterator[BalanceLine]:
    """Balance transactions created in [``created_from``, ``created_before``)."""
    params = {
        "created": _created_range(created_from, created_before),
        # The charge or refund behind each line, for its PaymentIntent.
        "expand": ["data.source"],
    }
    for txn in _paged(
        "balance transactions list", _client().v1.balance_transactions.list, params
    ):
        yield _balance_line(txn)


def payout_balance_transactions(payout_id: str) -> Iterator[BalanceLine]:
    """What one payout paid out, its own (negative) transaction included."""
    params = {"payout": payout_id, "expand": ["data.source"]}
    for txn in _paged(
        "payout transactions list", _client().v1.balance_transactions.list, params
    ):
        yield _balance_line(txn)


def payouts_list(
    *, created_from: datetime, created_before: datetime
) -> Iterator[PayoutLine]:
    """Payouts created in [``created_from``, ``created_before``)."""
    params = {"created": _created_range(created_from, created_before)}
    for payout in _paged("payouts list", _client().v1.payouts.list, params):
        yield PayoutLine(
            id=payout.id,
            amount=from_minor_units(payout.amount, payout.currency.upper()),
            status=payout.status,
            automatic=bool(payout.automatic),
            created_at=_timestamp(payout.created),
            arrival_at=_timestamp(payout.arrival_date),
        )


def construct_event(payload: bytes, signature: str) -> dict:
    """Verify a webhook's signature on the raw body and parse it as JSON.

    Returns a plain dict, not a Stripe object, so handlers read events the
    same way whatever the library version. Raises ``ValueError`` for a body
    that is not a JSON object and ``stripe.SignatureVerificationError`` for a
    bad or stale signature.
    """
    stripe.WebhookSignature.verify_header(
        payload,
        signature,
        settings.STRIPE_WEBHOOK_SECRET,
        settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
    )
    # The library only refuses old timestamps; one from the future is as
    # suspect (a replay prepared in advance).
    timestamps = [
        part[2:]
        for part in signature.split(",")
        if part.startswith("t=") and part[2:].isdigit()
    ]
    if (
        timestamps
        and int(timestamps[0]) > time.time() + settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
    ):
        raise stripe.SignatureVerificationError("timestamp in the future", signature)
    try:
        event = json.loads(payload)
    except RecursionError:
        raise ValueError("event nested too deeply") from None
    if not isinstance(event, dict):
        raise ValueError("event is not a JSON object")
    return event


_reachable_cache: dict[str, tuple[float, bool]] = {}


def is_reachable(timeout: float = 2.0) -> bool:
    """Whether Stripe's API answers at all (any HTTP answer counts).

    Cached for ten seconds so that a load balancer polling /healthz does not
    turn into a stream of requests to Stripe.
    """
    now = time.monotonic()
    cached = _reachable_cache.get("api")
    if cached and now - cached[0] < 10:
        return cached[1]
    base = settings.STRIPE_API_BASE or "https://api.stripe.com"
    request = urllib.request.Request(  # noqa: S310 - fixed scheme from settings
        f"{base}/v1/customers?limit=1",
        headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout):  # noqa: S310
            ok = True
    except urllib.error.HTTPError:
        ok = True
    except (urllib.error.URLError, OSError):
        ok = False
    _reachable_cache["api"] = (now, ok)
    return ok
