"""Run the whole platform for a demo, in the foreground, until Ctrl-C.

Starts, each as its own process on 127.0.0.1: the offline Stripe (state kept
in var/ so a restart keeps the demo's payments), a Celery worker with its
beat scheduler, and the web server. Uses Redis when REDIS_URL answers;
otherwise an embedded file-system broker, and says so.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from devtools.stripe_server import (
    FakeStripeError,
    register_webhook,
    start_fake_stripe,
    stop,
)

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("MECENE_VAR_DIR", ROOT / "var"))
WEB_PORT = int(os.environ.get("DEMO_WEB_PORT", "8000"))
STRIPE_PORT = int(os.environ.get("DEMO_STRIPE_PORT", "8420"))


def redis_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1
        ) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_for(url: str, seconds: float, give_up) -> bool:
    """Poll ``url`` until it answers 200, time runs out or ``give_up()``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not give_up():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                return response.status == 200
        except OSError:
            time.sleep(0.3)
    return False


def main() -> int:
    for port, what in ((WEB_PORT, "web server"), (STRIPE_PORT, "offline Stripe")):
        if not port_free(port):
            print(
                f"Port {port} (for the {what}) is already in use; stop what runs there."
            )
            return 1

    env = dict(os.environ)
    env.setdefault("STRIPE_API_BASE", f"http://127.0.0.1:{STRIPE_PORT}")
    env.setdefault("SITE_URL", f"http://127.0.0.1:{WEB_PORT}")
    # The development server runs a thread per request; kept connections
    # would pile up on a PostgreSQL demo.
    env.setdefault("DATABASE_CONN_MAX_AGE", "0")
    redis_url = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if "CELERY_BROKER_URL" not in env:
        if redis_answers(redis_url):
            broker_note = f"Redis at {redis_url}"
        else:
            env["CELERY_BROKER_URL"] = "filesystem://"
            env.setdefault("CACHE_URL", "locmem://")
            broker_note = (
                "embedded file-system broker in var/broker (no Redis answered)"
            )
    else:
        broker_note = env["CELERY_BROKER_URL"]
    if env.get("CELERY_BROKER_URL", "").startswith("filesystem://"):
        # Chosen here or by the person starting the demo: its folders must exist.
        for sub in ("queue", "processed"):
            (VAR / "broker" / sub).mkdir(parents=True, exist_ok=True)
    mail_dir = Path(env.get("EMAIL_FILE_PATH", VAR / "mail"))
    mail_dir.mkdir(parents=True, exist_ok=True)
    (VAR / "log").mkdir(parents=True, exist_ok=True)

    stopping = False

    def shut_down(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, shut_down)
    signal.signal(signal.SIGTERM, shut_down)

    children: list[subprocess.Popen] = []
    try:
        stripe_proc = start_fake_stripe(
            STRIPE_PORT,
            state=VAR / "localstripe.pickle",
            log_path=VAR / "log" / "stripe.log",
        )
    except FakeStripeError as exc:
        print(f"The offline Stripe did not start: {exc}")
        return 1
    register_webhook(
        stripe_proc.base_url,
        "mecene",
        f"http://127.0.0.1:{WEB_PORT}/stripe/webhook/",
        env.get("STRIPE_WEBHOOK_SECRET", "whsec_local"),
    )

    python = sys.executable
    worker_log = (VAR / "log" / "worker.log").open("ab")
    children.append(
        subprocess.Popen(
            [python, "-m", "celery", "-A", "mecene", "worker", "--beat",
             "--schedule", str(VAR / "celerybeat-schedule"), "--loglevel", "INFO",
             "--concurrency", "2"],
            cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
        )
    )  # fmt: skip
    children.append(
        subprocess.Popen(
            [python, "manage.py", "runserver", f"127.0.0.1:{WEB_PORT}", "--noreload"],
            cwd=ROOT, env=env,
        )
    )  # fmt: skip

    def child_died() -> bool:
        return any(child.poll() is not None for child in [*children, stripe_proc])

    ready = wait_for(
        f"http://127.0.0.1:{WEB_PORT}/healthz", 30, lambda: stopping or child_died()
    )
    site = f"http://127.0.0.1:{WEB_PORT}"
    print(
        "\n"
        "  Mécène demo is running.\n"
        f"  Campaign:     {site}/campaigns/passeport-jo/\n"
        f"  Staff admin:  {site}/admin/  (user demo, password demo-mecene-2026)\n"
        "  One per role: demo-campagnes, demo-finance, demo-admin (same password)\n"
        f"  Test cards:   4242 4242 4242 4242 · 3-D Secure 4000 0025 0000 3155\n"
        f"  Emails land in {mail_dir}\n"
        f"  Broker:       {broker_note}\n"
        f"  Logs:         {VAR / 'log'} (the web server's in this terminal)\n"
        f"  Health:       {'ok' if ready else 'not ready, see /healthz'}\n"
        "  Ctrl-C stops everything.\n",
        flush=True,
    )

    while not stopping:
        if child_died():
            print("A demo process stopped unexpectedly; shutting down (see var/log).")
            break
        time.sleep(0.5)

    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    stop(stripe_proc)
    worker_log.close()
    print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
