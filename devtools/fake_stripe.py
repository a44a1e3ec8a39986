"""Offline fake Stripe for development, tests and the demo, built on localstripe.

Usage::

    python -m devtools.fake_stripe [--host 127.0.0.1] [--port 8420] [--state PATH]

localstripe (GPL-3.0) is imported here, never copied into this repository, and stays a
dev/test dependency. This launcher runs its aiohttp ``app`` with these deviations from
the stock ``localstripe`` command, each one closing a gap that would otherwise make our
code behave differently offline than against real Stripe:

1. It listens on a loopback address only; a non-loopback ``--host`` is refused. Stock
   localstripe binds ``::``, which is every interface.
2. Nothing is written to disk by default. Stock localstripe pickles its whole store to
   the hard-coded ``/tmp/localstripe.pickle`` on every write and reloads it at start,
   so parallel runs trample each other. With ``--state PATH`` the store is loaded from
   PATH at start and saved there, atomically, after each POST/DELETE and at shutdown.
3. ``description``, ``receipt_email``, ``setup_future_usage``,
   ``statement_descriptor_suffix``, ``return_url`` and ``mandate_data`` are accepted on
   PaymentIntent and SetupIntent create/confirm, and ``reason`` on Refund create.
   localstripe answers "400 Unexpected ..." for them. ``description`` and
   ``receipt_email`` (PaymentIntent), ``description`` (SetupIntent) and ``reason``
   (Refund) are kept on the object; the others are dropped.
4. ``POST /v1/payment_intents/{id}/confirm`` accepts ``payment_method`` (localstripe
   answers "500 Not implemented"); after a declined attempt it also allows a retry
   with another payment method, as Stripe does.
5. The ``Idempotency-Key`` header is honoured on ``/v1/`` POSTs: the first response
   (2xx, 402 or 500, as Stripe stores only requests that passed validation) is
   replayed for the same key, path and body; reusing a key for another request is a
   400 ``idempotency_error``. The last 10,000 keys are kept in memory only.
6. Refunds larger than what is left to refund on the charge are refused with a 400
   (``amount_too_large`` or ``charge_already_refunded``); localstripe accepts them.
   A refund without ``amount`` refunds what is left, not the whole charge again.
7. A successful refund emits ``charge.refunded`` through localstripe's own webhook
   delivery, with the charge (``amount_refunded``, ``payment_intent``) as
   ``data.object``; localstripe emits no refund events at all.
8. ``DELETE /_config/all`` clears the store and the idempotency cache (webhook
   registrations stay). ``GET /_config/health`` answers 200 ``ok`` with no side effect
   and an ``X-Fake-Stripe-Pid`` header, so a launcher can tell it reached its own child.
9. One access line per request (method, path, status, duration) goes to stderr.
10. Balance transactions of charges carry a fee, as Stripe's do: 1.5 % + 0.25 of
    the charge's currency (Stripe's standard rate for EEA cards, rounded half up
    to the minor unit), with one ``stripe_fee`` line in ``fee_details``.
    localstripe leaves every fee at 0. Refunds keep fee 0: Stripe does not give
    the fee back. This is a test double of a price list, not Stripe's pricing
    engine (no card-country or currency-conversion fees).
11. ``GET /v1/balance_transactions`` accepts Stripe's ``created[gte|gt|lte|lt]``,
    ``type``, ``currency`` and ``payout`` filters, and ``GET /v1/payouts`` accepts
    ``created[...]`` and ``status``; localstripe refuses any filter with a 400.
    Both stay newest first and page with ``starting_after``.
12. ``POST /_config/payouts`` stands in for Stripe's automatic payout schedule
    (localstripe makes payouts only by hand, with a made-up balance transaction
    id and no link to what they pay out). It gathers every charge and refund
    balance transaction not yet paid out (optionally of one ``currency``), and
    makes one automatic ``paid`` payout of their net sum, with its own ``payout``
    balance transaction. ``?payout=`` then lists that payout's transactions, its
    own included, as Stripe does. A non-positive sum is a 400.

SIGTERM and SIGINT stop the server cleanly (exit status 0), saving state if asked.
"""

import argparse
import hashlib
import ipaddress
import logging
import os
import pickle
from collections import OrderedDict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from localstripe.errors import UserError
from localstripe.resources import (
    BalanceTransaction,
    Charge,
    Event,
    List,
    PaymentIntent,
    PaymentMethod,
    Payout,
    Refund,
    SetupIntent,
    StripeObject,
    store,
    try_convert_to_int,
)
from localstripe.server import app, get_post_data, json_response, unflatten_data
from localstripe.webhooks import schedule_webhook

log = logging.getLogger("devtools.fake_stripe")

# Real Stripe accepts these and our payment code sends them, but localstripe answers
# "400 Unexpected ...". Accepting them here keeps offline-only branches out of the
# product code; the ones in KEPT are stored so that GETs return them, as Stripe does.
TOLERATED = frozenset(
    "description receipt_email setup_future_usage statement_descriptor_suffix"
    " return_url mandate_data".split()
)
KEPT = {PaymentIntent: ("description", "receipt_email"), SetupIntent: ("description",)}
IDEMPOTENCY_CACHE_SIZE = 10_000

# Idempotency-Key -> (request fingerprint, status, body, content type)
_replays: OrderedDict[str, tuple[bytes, int, bytes, str]] = OrderedDict()


def _accept_tolerated_params(cls):
    # Patching the constructor rather than the routes also covers create with
    # confirm=true on a declined card, where localstripe stores the intent and then
    # raises, leaving no later chance to set the kept attributes.
    original_init = cls.__init__

    def __init__(self, *args, **kwargs):
        extras = {name: kwargs.pop(name) for name in TOLERATED & kwargs.keys()}
        original_init(self, *args, **kwargs)
        for name in KEPT[cls]:
            setattr(self, name, extras.get(name))

    cls.__init__ = __init__


def _pop_tolerated(obj, data):
    for name in TOLERATED & data.keys():
        value = data.pop(name)
        if name in KEPT.get(type(obj), ()):
            setattr(obj, name, value)


async def _request_data(request):
    # Same merge of body and query string as localstripe's own extra routes.
    data = await get_post_data(request) or {}
    data.update(unflatten_data(request.query) or {})
    return data


async def _confirm_payment_intent(request):
    data = await _request_data(request)
    expand = data.pop("expand", None)
    intent = PaymentIntent._api_retrieve(request.match_info["id"])
    _pop_tolerated(intent, data)
    payment_method = data.pop("payment_method", None)
    if payment_method is not None:
        if intent.status not in ("requires_payment_method", "requires_confirmation"):
            message = f"A PaymentIntent in status {intent.status} cannot be confirmed."
            raise UserError(400, message, {"code": "payment_intent_unexpected_state"})
        if intent.status == "requires_payment_method":
            # A failed charge would otherwise pin the intent in this status.
            intent.latest_charge = None
        # Magic ids such as pm_card_visa create a new object on each lookup, so the
        # stored id is the one to keep.
        intent.payment_method = PaymentMethod._api_retrieve(str(payment_method)).id
    intent = PaymentIntent._api_confirm(id=intent.id, **data)
    return json_response(intent._export(expand=expand))


async def _confirm_setup_intent(request):
    data = await _request_data(request)
    expand = data.pop("expand", None)
    intent = SetupIntent._api_retrieve(request.match_info["id"])
    _pop_tolerated(intent, data)
    intent = SetupIntent._api_confirm(id=intent.id, **data)
    return json_response(intent._export(expand=expand))


def _charge_to_refund(data):
    if isinstance(data.get("payment_intent"), str):
        charge = PaymentIntent._api_retrieve(data["payment_intent"]).latest_charge
    elif isinstance(data.get("charge"), str):
        charge = Charge._api_retrieve(data["charge"])
    else:
        raise UserError(400, "Expected charge or payment_intent")
    if charge is None:
        raise UserError(400, "This PaymentIntent has no charge to refund.")
    return charge


async def _create_refund(request):
    data = await get_post_data(request) or {}
    expand = data.pop("expand", None)
    reason = data.pop("reason", None)
    charge = _charge_to_refund(data)
    remaining = charge.amount - charge.amount_refunded
    # Without an amount localstripe refunds the whole charge again; Stripe the rest.
    amount = try_convert_to_int(data.setdefault("amount", remaining))
    if remaining <= 0:
        message = f"Charge {charge.id} has already been refunded."
        raise UserError(400, message, {"code": "charge_already_refunded"})
    if isinstance(amount, int) and amount > remaining:
        message = (
            f"Refund amount ({amount}) exceeds what is left to refund ({remaining})."
        )
        raise UserError(400, message, {"code": "amount_too_large", "param": "amount"})

    refund = Refund._api_create(**data)
    refund.reason = reason
    schedule_webhook(Event("charge.refunded", charge))
    return json_response(refund._export(expand=expand))


# Stripe's standard price for EEA cards; see item 10 of the module docstring.
FEE_RATE = Decimal("0.015")
FEE_FIXED_MINOR = 25
CREATED_OPERATORS = {
    "gte": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "lte": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
}


def _charge_fee(amount_minor):
    fee = Decimal(amount_minor) * FEE_RATE + FEE_FIXED_MINOR
    return int(fee.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _add_charge_fees():
    original_init = BalanceTransaction.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._payout = None
        if self.type == "charge":
            self.fee = _charge_fee(self.amount)
            self.fee_details = [
                {
                    "amount": self.fee,
                    "currency": self.currency,
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]

    BalanceTransaction.__init__ = __init__


def _created_filter(data):
    created = data.pop("created", None)
    if created is None:
        return lambda obj: True
    if not isinstance(created, dict):
        created = {"gte": created, "lte": created}
    try:
        bounds = [(CREATED_OPERATORS[op], int(v)) for op, v in created.items()]
    except (KeyError, ValueError, TypeError):
        raise UserError(400, "Invalid created filter") from None
    return lambda obj: all(compare(obj.created, v) for compare, v in bounds)


def _listing(request, data, kind, keep):
    limit = data.pop("limit", None)
    starting_after = data.pop("starting_after", None)
    expand = data.pop("expand", None)
    if data:
        raise UserError(400, "Unexpected " + ", ".join(data))
    listing = List(request.path, limit=limit, starting_after=starting_after)
    listing._list = sorted(
        (obj for key, obj in store.items() if key.startswith(kind + ":") and keep(obj)),
        key=lambda obj: obj.created,
        reverse=True,
    )
    return json_response(listing._export(expand=expand))


def _is_payout_transaction(txn, payout_id):
    return txn._payout == payout_id or (
        txn.type == "payout" and txn.source == payout_id
    )


async def _list_balance_transactions(request):
    data = unflatten_data(request.query) or {}
    created = _created_filter(data)
    wanted = {name: data.pop(name, None) for name in ("type", "currency", "payout")}

    def keep(txn):
        return (
            created(txn)
            and wanted["type"] in (None, txn.type)
            and wanted["currency"] in (None, txn.currency)
            and (
                wanted["payout"] is None
                or _is_payout_transaction(txn, wanted["payout"])
            )
        )

    return _listing(request, data, "balance_transaction", keep)


async def _list_payouts(request):
    data = unflatten_data(request.query) or {}
    created = _created_filter(data)
    status = data.pop("status", None)
    return _listing(
        request,
        data,
        "payout",
        lambda payout: created(payout) and status in (None, payout.status),
    )


async def _pay_out(request):
    data = await _request_data(request)
    currency = data.get("currency")
    due = [
        txn
        for key, txn in store.items()
        if key.startswith("balance_transaction:")
        and txn.type in ("charge", "refund")
        and getattr(txn, "_payout", None) is None
        and currency in (None, txn.currency)
    ]
    currencies = {txn.currency for txn in due}
    if len(currencies) != 1:
        raise UserError(400, "Nothing to pay out, or several currencies: name one.")
    total = sum(txn.net for txn in due)
    if total <= 0:
        raise UserError(400, f"The balance to pay out is {total}, not positive.")

    payout = Payout(amount=total, currency=currencies.pop(), status="paid")
    payout.automatic = True
    # localstripe's constructor only takes charges and refunds: build the
    # payout's own transaction field by field.
    txn = BalanceTransaction.__new__(BalanceTransaction)
    StripeObject.__init__(txn)
    txn.__dict__.update(
        amount=-total, available_on=txn.created, currency=payout.currency,
        description="STRIPE PAYOUT", exchange_rate=None, fee=0, fee_details=[],
        reporting_category="payout", source=payout.id, status="available",
        type="payout", _payout=None,
    )  # fmt: skip
    payout.balance_transaction = txn.id
    for paid_out in due:
        paid_out._payout = payout.id
    return json_response(payout._export())


# Routes localstripe already serves but that need the behaviour above. A middleware
# picks them after routing, which leaves localstripe's router untouched.
_OVERRIDES = {
    ("POST", "/v1/payment_intents/{id}/confirm"): _confirm_payment_intent,
    ("POST", "/v1/setup_intents/{id}/confirm"): _confirm_setup_intent,
    ("POST", "/v1/refunds"): _create_refund,
    ("GET", "/v1/balance_transactions"): _list_balance_transactions,
    ("GET", "/v1/payouts"): _list_payouts,
}


@web.middleware
async def _override_middleware(request, handler):
    resource = request.match_info.route.resource
    key = (request.method, resource.canonical if resource else None)
    return await _OVERRIDES.get(key, handler)(request)


@web.middleware
async def _idempotency_middleware(request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not request.path.startswith("/v1/"):
        return await handler(request)

    body = await request.read()  # cached by aiohttp, so handlers can read it again
    fingerprint = hashlib.sha256(request.path_qs.encode() + b"\n" + body).digest()
    if key in _replays:
        first_fingerprint, status, first_body, content_type = _replays[key]
        if first_fingerprint != fingerprint:
            message = f"Idempotency key {key!r} was first used with another request."
            error = {"type": "idempotency_error", "message": message}
            return json_response({"error": error}, status=400)
        _replays.move_to_end(key)
        headers = {"Idempotent-Replayed": "true"}
        return web.Response(
            status=status, body=first_body, content_type=content_type, headers=headers
        )

    # No await separates this lookup from the store below except the handler, and
    # localstripe handlers never yield once the body is read, so two requests with
    # one key cannot both miss.
    response = await handler(request)
    # Like Stripe, remember requests that got past validation: successes, card
    # errors (402) and server errors. A 400/401/404 may be retried once fixed.
    status = response.status
    if isinstance(response, web.Response) and (status < 400 or status in (402, 500)):
        _replays[key] = (fingerprint, status, response.body, response.content_type)
        while len(_replays) > IDEMPOTENCY_CACHE_SIZE:
            _replays.popitem(last=False)
    return response


async def _reset_all(request):
    store.clear()
    _replays.clear()
    return web.Response(text="ok")


async def _health(request):
    return web.Response(text="ok", headers={"X-Fake-Stripe-Pid": str(os.getpid())})


def _load_state(path):
    try:
        with path.open("rb") as f:
            saved = pickle.load(f)  # noqa: S301 - a file this launcher wrote itself
    except FileNotFoundError:
        return
    store.clear()
    store.update(saved)  # dict.update: no per-item dump
    log.info("loaded %d objects from %s", len(store), path)


def _save_state(path):
    # A plain dict copy, so the pickle does not carry the no-op methods patched
    # onto the store instance; the rename keeps a killed process from leaving half
    # a file behind.
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        pickle.dump(dict(store), f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def _persist_middleware(path):
    @web.middleware
    async def middleware(request, handler):
        try:
            return await handler(request)
        finally:
            if request.method in ("POST", "DELETE"):
                _save_state(path)

    return middleware


class _AccessLogger(AbstractAccessLogger):
    def log(self, request, response, time):
        self.logger.info(
            "%s %s %s %.0fms", request.method, request.path, response.status, time * 1e3
        )


def build_app(state=None):
    """Patch localstripe as described in the module docstring and return its app.

    Call once per process: localstripe's app and store are module globals.
    """
    # Stock localstripe dumps the whole store on every object write, which costs
    # more as the store grows; saving once per request is enough for the demo.
    store.dump_to_disk = lambda: None
    store.try_load_from_disk = lambda: None
    for cls in KEPT:
        _accept_tolerated_params(cls)
    _add_charge_fees()

    app.middlewares.insert(0, _idempotency_middleware)  # outermost: sees final errors
    if state is not None:
        state.parent.mkdir(parents=True, exist_ok=True)
        _load_state(state)
        app.middlewares.append(_persist_middleware(state))

        async def save_on_shutdown(app):
            _save_state(state)

        app.on_cleanup.append(save_on_shutdown)
    app.middlewares.append(_override_middleware)  # innermost: after auth and saving
    app.router.add_delete("/_config/all", _reset_all)
    app.router.add_get("/_config/health", _health)
    app.router.add_post("/_config/payouts", _pay_out)
    return app


def _loopback_host(value):
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an IP address") from None
    if not address.is_loopback:
        raise argparse.ArgumentTypeError(f"{value} is not a loopback address")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m devtools.fake_stripe", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--host", type=_loopback_host, default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state", type=Path, help="pickle file kept across restarts")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    application = build_app(args.state)
    state = args.state or "memory only"
    log.info("fake Stripe on http://%s:%d (state: %s)", args.host, args.port, state)
    web.run_app(
        application,
        host=args.host,
        port=args.port,
        print=None,
        access_log=logging.getLogger("aiohttp.access"),
        access_log_class=_AccessLogger,
        shutdown_timeout=2,
    )
    log.info("fake Stripe stopped")


if __name__ == "__main__":
    main()
