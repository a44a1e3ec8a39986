"""Fixtures shared by the whole suite: the offline Stripe, a real Celery
worker, and small factories for campaigns, donors and gifts."""

import os
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from djmoney.money import Money

from devtools.stripe_server import reset, start_fake_stripe, stop

ROOT = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def fake_stripe():
    """The offline Stripe, one per test session, on a free loopback port."""
    proc = start_fake_stripe(free_port())
    yield proc
    stop(proc)


@pytest.fixture
def stripe_api(fake_stripe, settings):
    """Point the gateway at an empty offline Stripe for this test."""
    from payments import gateway

    reset(fake_stripe.base_url)
    settings.STRIPE_API_BASE = fake_stripe.base_url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    gateway.reset_client()
    gateway._reachable_cache.clear()
    yield fake_stripe.base_url
    gateway.reset_client()
    gateway._reachable_cache.clear()


@pytest.fixture
def stripe_down(settings):
    """Point the gateway at a loopback port where nothing listens."""
    from payments import gateway

    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    gateway.reset_client()
    gateway._reachable_cache.clear()
    yield
    gateway.reset_client()
    gateway._reachable_cache.clear()


@pytest.fixture
def eager_tasks():
    """Run Celery tasks inline, in this process (for tests without a worker)."""
    from mecene.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


@pytest.fixture(scope="session")
def worker_mail_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("worker-mail")


def worker_env(fake_stripe, mail_dir, **overrides) -> dict:
    """The environment of a worker process on the test database and Redis."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DATABASE_URL=(
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        STRIPE_API_BASE=fake_stripe.base_url,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        PRIVATE_ROOT=str(settings.PRIVATE_ROOT),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
    )
    env.update(overrides)
    return env


def spawn_worker(command: list[str], env: dict, log_path: Path) -> subprocess.Popen:
    """Start a worker in its own process group; return once it is ready."""
    log = log_path.open("wb")
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    proc.log_file, proc.log_path = log, log_path
    deadline = time.monotonic() + 30
    while b" ready." not in log_path.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("celery worker did not start:\n" + log_path.read_text()[-3000:])
        time.sleep(0.2)
    return proc


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
    proc.log_file.close()


WORKER_FLAGS = ["--loglevel", "INFO", "--without-gossip", "--without-mingle",
                "--without-heartbeat"]  # fmt: skip


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup, django_db_blocker, fake_stripe, worker_mail_dir, tmp_path_factory
):
    """A real ``celery worker`` process on the test database and test Redis.

    Tests using it need committed data (``transactional_db``), since the
    worker reads the database over its own connection.
    """
    from mecene.celery import app

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the worker tests need PostgreSQL")
    app.control.purge()
    proc = spawn_worker(
        [sys.executable, "-m", "celery", "-A", "mecene", "worker", "--pool", "prefork",
         "--concurrency", "2", *WORKER_FLAGS],
        worker_env(fake_stripe, worker_mail_dir),
        tmp_path_factory.mktemp("worker") / "worker.log",
    )  # fmt: skip
    yield proc
    stop_worker(proc)
    with django_db_blocker.unblock():
        end_other_sessions()


def end_other_sessions() -> None:
    """End other sessions on the test database (a dead worker's included).

    A worker's processes may leave sessions open for a moment after they
    exit, which would block the flush or drop of the test database.
    """
    from django.db import OperationalError, connection

    for attempt in range(2):
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            return
        except OperationalError:
            # Our own session was ended by such a call from another test
            # thread (a live server's): reconnect and try again.
            if attempt:
                raise
            connection.close()


def wait_until(predicate, timeout=15.0, interval=0.1):
    """Poll ``predicate`` until it returns a truthy value or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# --- Factories ------------------------------------------------------------


@pytest.fixture
def campaign(db):
    from campaigns.models import Campaign

    return Campaign.objects.create(
        slug="passeport-jo",
        status=Campaign.Status.LIVE,
        title_fr="Passeport pour les JO",
        title_en="Olympic passport",
        goal=Money(Decimal("21000"), "EUR"),
        starts_on="2026-01-01",
        ends_on="2099-06-30",
    )


DONOR_DETAILS = {
    "email": "anne.martin@example.org",
    "kind": "individual",
    "first_name": "Anne",
    "last_name": "Martin",
    "address_line": "12 rue des Écoles",
    "postal_code": "75005",
    "city": "Paris",
    "country": "FR",
}
# What the donate page posts besides the donor's details.
DONATE_FORM = {
    **DONOR_DETAILS,
    "amount": "50",
    "taxed_in_france": "yes",
    "receipt_preference": "per_gift",
}


@pytest.fixture
def make_donor(db):
    from donors.services import donor_upsert

    def make(**overrides):
        return donor_upsert(**{**DONOR_DETAILS, "language": "fr", **overrides})

    return make


def stripe_client():
    """The official client, talking straight to the offline Stripe."""
    import stripe

    return stripe.StripeClient(
        "sk_test_local",
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=0,
    )


def confirm_setup_in_browser(gift, card="4242424242424242"):
    """What Stripe.js confirmCardSetup does with the donor's card."""
    return stripe_client().v1.setup_intents.confirm(
        gift.stripe_setup_intent_id,
        params={
            "payment_method_data": {
                "type": "card",
                "card": {
                    "number": card,
                    "exp_month": 12,
                    "exp_year": 2030,
                    "cvc": "123",
                },
            }
        },
    )


@pytest.fixture
def pending_gift_factory(stripe_api, campaign):
    """Gifts created as the donate page does, with their SetupIntent ready."""
    from payments.services import gift_create, gift_prepare_payment

    def make(amount="50.00"):
        gift = gift_create(
            campaign=campaign,
            donor_details={**DONOR_DETAILS, "language": "fr"},
            amount=Money(Decimal(amount), "EUR"),
        )
        gift_prepare_payment(gift)
        gift.refresh_from_db()
        return gift

    return make


@pytest.fixture
def make_gift(db, campaign, make_donor):
    from payments.models import Gift

    def make(amount="50.00", donor=None, **fields):
        return Gift.objects.create(
            donor=donor or make_donor(),
            campaign=fields.pop("campaign", campaign),
            amount=Money(Decimal(amount), "EUR"),
            **fields,
        )

    return make


@pytest.fixture
def paid_gift(make_gift):
    """A gift marked paid as the payment service would, without Stripe."""
    from django.db import transaction

    from payments.gateway import IntentState
    from payments.models import Gift
    from payments.services import gift_mark_paid

    def make(amount="50.00", **fields):
        gift = make_gift(
            amount=amount, stripe_payment_intent_id=fields.pop("pi", ""), **fields
        )
        intent = IntentState(
            id=gift.stripe_payment_intent_id,
            status="succeeded",
            client_secret="",
            amount_minor=int(Decimal(amount) * 100),
            currency="EUR",
        )
        with transaction.atomic():
            locked = Gift.objects.select_for_update().get(pk=gift.pk)
            gift_mark_paid(locked, intent, source="test")
        gift.refresh_from_db()
        return gift

    return make


@pytest.fixture
def stripe_paid_gift(pending_gift_factory):
    """A gift paid by card through the offline Stripe, with its receipt."""
    from payments.services import gift_charge
    from receipts.services import receipt_issue_for_gift

    def make(amount="100.00"):
        gift = pending_gift_factory(amount)
        confirm_setup_in_browser(gift)
        gift_charge(gift, setup_intent_id=gift.stripe_setup_intent_id)
        receipt_issue_for_gift(gift.pk)
        gift.refresh_from_db()
        return gift

    return make


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no payment attempts counted (local-memory cache)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _worker_sessions_end_before_flush(request):
    """End the worker's database sessions before the test database is flushed.

    A real worker may still be sending an email when a test ends (the
    session's worker also takes the tasks that any test committing for real
    queues); its row lock would deadlock with the flush. Ending its session makes that task
    fail and retry against data that no longer exists, which is harmless.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "celery_worker_process" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and marker.kwargs.get("transaction"))
    )
    if not transactional:
        yield
        return
    # Requested here so that this fixture is torn down before the flush.
    request.getfixturevalue("transactional_db")
    yield
    with request.getfixturevalue("django_db_blocker").unblock():
        end_other_sessions()
