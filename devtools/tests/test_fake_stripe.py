"""The fake Stripe launcher, driven through the official stripe library.

Every server here is started on 127.0.0.1 by the test itself and stopped by PID.
"""

import json
import queue
import shutil
import socket
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import stripe

from devtools.stripe_server import (
    pay_out,
    register_webhook,
    reset,
    start_fake_stripe,
    stop,
)

WEBHOOK_SECRET = "whsec_test_local"
THREE_DS_CARD = "4000002500003155"
STOCK_PICKLE = Path("/tmp/localstripe.pickle")  # noqa: S108 - localstripe's own path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_client(base_url):
    return stripe.StripeClient(
        "sk_test_local", base_addresses={"api": base_url}, max_network_retries=0
    )


def post_json(url, payload):
    # The browser-only routes, called the way localstripe's fake Stripe.js does.
    request = Request(url, data=json.dumps(payload).encode(), method="POST")  # noqa: S310
    with urlopen(request, timeout=5) as response:  # noqa: S310
        return json.load(response)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("fake_stripe") / "server.log"
    proc = start_fake_stripe(free_port(), log_path=log_path)
    yield proc
    stop(proc)


@pytest.fixture
def client(server):
    return make_client(server.base_url)


@pytest.fixture
def paid_intent(client):
    """A succeeded 10.00 EUR PaymentIntent."""
    return client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "eur",
            "payment_method": "pm_card_visa",
            "payment_method_types": ["card"],
            "confirm": True,
        }
    )


class _WebhookReceiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.deliveries.put((body, self.headers["Stripe-Signature"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format, *args):
        pass


def next_event_for(payment_intent_id, deliveries, timeout=5.0):
    # localstripe applies webhook filters when it sends, about 1 s after the event,
    # so refunds from earlier tests may still arrive here; skip past them.
    deadline = time.monotonic() + timeout
    while True:
        body, signature = deliveries.get(timeout=max(0, deadline - time.monotonic()))
        event = stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET)
        if event.data.object.payment_intent == payment_intent_id:
            return event


@pytest.fixture
def webhook_receiver():
    """A local HTTP endpoint; yields its URL and a queue of (body, signature)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _WebhookReceiver)
    httpd.deliveries = queue.Queue()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/stripe/webhook/", httpd.deliveries
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_listens_on_loopback_only(server):
    # Given a running server
    if shutil.which("ss") is None:
        pytest.skip("ss is not installed, listening addresses cannot be listed")

    # When its listening sockets are listed
    result = subprocess.run(
        ["ss", "-Hltn", f"sport = :{server.port}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"ss failed: {result.stderr.strip()}")

    # Then there is at least one, and each is bound to 127.0.0.1
    local_addresses = [line.split()[3] for line in result.stdout.splitlines()]
    assert local_addresses
    assert set(local_addresses) == {f"127.0.0.1:{server.port}"}


def test_nothing_is_written_to_localstripe_stock_pickle(client):
    # Given the state of localstripe's hard-coded pickle file
    before = STOCK_PICKLE.stat().st_mtime_ns if STOCK_PICKLE.exists() else None

    # When objects are created without --state
    client.v1.customers.create(params={"email": "donor@example.org"})

    # Then the file is neither created nor rewritten
    after = STOCK_PICKLE.stat().st_mtime_ns if STOCK_PICKLE.exists() else None
    assert after == before


def test_payment_intent_with_description_confirms_with_payment_method(client):
    # Given a PaymentIntent created with parameters localstripe does not know
    intent = client.v1.payment_intents.create(
        params={
            "amount": 2500,
            "currency": "eur",
            "payment_method_types": ["card"],
            "description": "Gift to the winter campaign",
            "receipt_email": "donor@example.org",
            "setup_future_usage": "off_session",
            "statement_descriptor_suffix": "WINTER",
        }
    )
    assert intent.status == "requires_payment_method"

    # When it is confirmed with a payment method
    confirmed = client.v1.payment_intents.confirm(
        intent.id,
        params={"payment_method": "pm_card_visa", "return_url": "http://127.0.0.1/"},
    )

    # Then it succeeds and keeps its description and receipt email
    assert confirmed.status == "succeeded"
    fetched = client.v1.payment_intents.retrieve(intent.id)
    assert fetched.description == "Gift to the winter campaign"
    assert fetched.receipt_email == "donor@example.org"


def test_same_idempotency_key_replays_the_first_response(client):
    # Given a customer created with an idempotency key
    options = {"idempotency_key": str(uuid.uuid4())}
    params = {"email": "donor@example.org"}
    first = client.v1.customers.create(params=params, options=options)

    # When the same request is sent again with the same key
    second = client.v1.customers.create(params=params, options=options)

    # Then the first customer is returned instead of a new one
    assert second.id == first.id


def test_idempotency_key_reused_with_other_parameters_is_refused(client):
    # Given a key already used for one customer
    options = {"idempotency_key": str(uuid.uuid4())}
    client.v1.customers.create(params={"email": "a@example.org"}, options=options)

    # When it is sent with a different body
    with pytest.raises(stripe.IdempotencyError) as excinfo:
        client.v1.customers.create(params={"email": "b@example.org"}, options=options)

    # Then Stripe's idempotency error comes back as a 400
    assert excinfo.value.http_status == 400
    assert excinfo.value.error.type == "idempotency_error"


def test_idempotency_key_reused_on_another_endpoint_is_refused(client):
    # Given a key already used to create a customer
    options = {"idempotency_key": str(uuid.uuid4())}
    client.v1.customers.create(params={"email": "a@example.org"}, options=options)

    # When it is sent to another endpoint
    # Then it is refused
    with pytest.raises(stripe.IdempotencyError):
        client.v1.setup_intents.create(options=options)


def test_refund_larger_than_what_remains_is_refused(client, paid_intent):
    # Given a 10.00 payment already refunded 6.00
    client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 600})

    # When 5.00 more is refunded
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.refunds.create(
            params={"payment_intent": paid_intent.id, "amount": 500}
        )

    # Then it is refused, while the 4.00 left can still be refunded
    assert excinfo.value.http_status == 400
    assert excinfo.value.code == "amount_too_large"
    rest = client.v1.refunds.create(params={"payment_intent": paid_intent.id})
    assert rest.amount == 400


def test_second_full_refund_is_refused(client, paid_intent):
    # Given a fully refunded payment
    client.v1.refunds.create(params={"payment_intent": paid_intent.id})

    # When it is refunded again
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.refunds.create(params={"payment_intent": paid_intent.id})

    # Then it is refused
    assert excinfo.value.http_status == 400
    assert excinfo.value.code == "charge_already_refunded"


def test_refund_sends_signed_charge_refunded_webhook(
    server, client, paid_intent, webhook_receiver
):
    # Given a receiver registered for charge.refunded
    url, deliveries = webhook_receiver
    register_webhook(
        server.base_url, "refunds", url, WEBHOOK_SECRET, ["charge.refunded"]
    )

    # When a payment is partly refunded with a reason
    refund = client.v1.refunds.create(
        params={
            "payment_intent": paid_intent.id,
            "amount": 300,
            "reason": "requested_by_customer",
        }
    )

    # Then the refund keeps its reason and a signed event describes the charge
    assert client.v1.refunds.retrieve(refund.id).reason == "requested_by_customer"
    event = next_event_for(paid_intent.id, deliveries)
    assert event.type == "charge.refunded"
    assert event.data.object.amount_refunded == 300


def test_reset_clears_objects_and_idempotency_keys(server, client):
    # Given a customer created with an idempotency key
    options = {"idempotency_key": str(uuid.uuid4())}
    params = {"email": "donor@example.org"}
    before = client.v1.customers.create(params=params, options=options)

    # When the server is reset
    reset(server.base_url)

    # Then the customer is gone and the key creates a new one
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve(before.id)
    after = client.v1.customers.create(params=params, options=options)
    assert after.id != before.id


def test_state_file_survives_a_restart(tmp_path):
    # Given a server with a state file holding one customer
    state, port = tmp_path / "state.pickle", free_port()
    proc = start_fake_stripe(port, state=state, log_path=tmp_path / "server.log")
    try:
        customer = make_client(proc.base_url).v1.customers.create(
            params={"email": "donor@example.org"}
        )
    finally:
        stop(proc)

    # When it is started again on the same file
    proc = start_fake_stripe(port, state=state, log_path=tmp_path / "server.log")
    try:
        fetched = make_client(proc.base_url).v1.customers.retrieve(customer.id)
    finally:
        stop(proc)

    # Then the customer is still there
    assert fetched.email == "donor@example.org"


def test_sigterm_stops_the_server_cleanly(tmp_path):
    # Given a running server
    log_path = tmp_path / "server.log"
    proc = start_fake_stripe(free_port(), log_path=log_path)

    # When it receives SIGTERM
    status = stop(proc)

    # Then it exits with status 0 and no traceback
    assert status == 0
    log = log_path.read_text()
    assert "Traceback" not in log
    assert "fake Stripe stopped" in log


def test_3ds_setup_intent_succeeds_after_authentication(server, client):
    # Given a SetupIntent confirmed with a card that requires 3-D Secure
    intent = client.v1.setup_intents.create(
        params={"payment_method_types": ["card"], "description": "Monthly gift"}
    )
    card = {"number": THREE_DS_CARD, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    intent = client.v1.setup_intents.confirm(
        intent.id,
        params={
            "payment_method_data": {"type": "card", "card": card},
            "return_url": "http://127.0.0.1/",
        },
    )
    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"

    # When the donor completes authentication: localstripe has no _authenticate
    # route for SetupIntents; its Stripe.js confirms the intent a second time
    post_json(
        f"{server.base_url}/v1/setup_intents/{intent.id}/confirm",
        {
            "key": "pk_test_local",
            "use_stripe_sdk": True,
            "client_secret": intent.client_secret,
        },
    )

    # Then the SetupIntent has succeeded
    fetched = client.v1.setup_intents.retrieve(intent.id)
    assert fetched.status == "succeeded"
    assert fetched.description == "Monthly gift"


def test_3ds_payment_intent_succeeds_after_authentication(server, client):
    # Given a PaymentIntent confirmed with a card that requires 3-D Secure
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {
                "number": THREE_DS_CARD,
                "exp_month": 12,
                "exp_year": 2030,
                "cvc": "123",
            },
        }
    )
    intent = client.v1.payment_intents.create(
        params={
            "amount": 5000,
            "currency": "eur",
            "payment_method": method.id,
            "confirm": True,
        }
    )
    assert intent.status == "requires_action"

    # When the donor completes authentication through localstripe's private route
    post_json(
        f"{server.base_url}/v1/payment_intents/{intent.id}/_authenticate?success=true",
        {"key": "pk_test_local", "client_secret": intent.client_secret},
    )

    # Then the payment has succeeded
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


# === Balance transactions and payouts (items 10-12 of the launcher) ===


def test_charge_balance_transaction_carries_stripe_fee(server, client, paid_intent):
    # Given a paid 10.00 EUR intent and its charge
    charge_id = paid_intent.latest_charge.id

    # When its balance transaction is read
    listed = client.v1.balance_transactions.list(
        params={"type": "charge", "expand": ["data.source"]}
    )
    txn = next(t for t in listed.auto_paging_iter() if t.source.id == charge_id)

    # Then 1.5 % + 0.25 = 0.40 is kept as a fee and the net is 9.60
    assert (txn.amount, txn.fee, txn.net) == (1000, 40, 960)
    assert [line.type for line in txn.fee_details] == ["stripe_fee"]
    assert txn.source.payment_intent == paid_intent.id


def test_balance_transactions_filter_by_created(server, client, paid_intent):
    # Given a paid intent, created now
    now = int(time.time())

    # When transactions created from tomorrow on, then from an hour ago, are listed
    later = client.v1.balance_transactions.list(
        params={"created": {"gte": now + 86400}}
    )
    recent = client.v1.balance_transactions.list(
        params={"created": {"gte": now - 3600}}
    )

    # Then only the second listing holds its charge
    assert later.data == []
    assert any(t.type == "charge" for t in recent.data)


@pytest.fixture
def empty_balance(server):
    """Nothing in the fake's store (request it before ``paid_intent``)."""
    reset(server.base_url)


def test_payout_gathers_what_was_not_paid_out(
    server, client, empty_balance, paid_intent
):
    # Given an empty balance, then a 10.00 charge refunded 2.50
    client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 250})

    # When the balance is paid out
    payout = pay_out(server.base_url)

    # Then the payout holds the net (9.60 - 2.50) and lists its transactions
    assert (payout["amount"], payout["status"], payout["automatic"]) == (
        710,
        "paid",
        True,
    )
    listed = client.v1.balance_transactions.list(params={"payout": payout["id"]})
    assert sorted(t.type for t in listed.data) == ["charge", "payout", "refund"]
    assert sum(t.net for t in listed.data) == 0
    by_status = client.v1.payouts.list(params={"status": "paid"})
    assert [p.id for p in by_status.data] == [payout["id"]]


def test_payout_of_an_empty_balance_is_refused(server, empty_balance):
    # Given an empty balance
    # When it is paid out, then the fake refuses with a 400
    with pytest.raises(HTTPError) as excinfo:
        pay_out(server.base_url)
    assert excinfo.value.code == 400
