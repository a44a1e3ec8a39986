"""Start, stop and drive the fake Stripe server from pytest fixtures or a supervisor.

The server is ``python -m devtools.fake_stripe`` (see that module for what it fakes).
Only the standard library is used, so this module can be imported where localstripe
and aiohttp are not.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.error import URLError
from urllib.parse import quote, urlsplit
from urllib.request import Request, urlopen

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 15.0
POLL_INTERVAL = 0.1
LOG_TAIL_BYTES = 4000


class FakeStripeError(RuntimeError):
    pass


class FakeStripeProcess(subprocess.Popen):
    """A running fake Stripe server: a ``Popen`` plus its address and log file."""

    def __init__(self, command, port, log_file):
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_file = log_file
        super().__init__(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )

    def log_tail(self):
        # pread leaves the shared file offset alone: the child may still be writing
        # through the same open file.
        fd = self.log_file.fileno()
        size = os.fstat(fd).st_size
        start = max(0, size - LOG_TAIL_BYTES)
        return os.pread(fd, size - start, start).decode(errors="replace")


def start_fake_stripe(
    port: int, state: Path | None = None, log_path: Path | None = None
) -> subprocess.Popen:
    """Start the fake Stripe on 127.0.0.1:``port`` and return once it answers.

    ``state`` keeps its data in that file across restarts. Its output goes to
    ``log_path`` (appended), or to an anonymous temporary file that disappears with
    the process. Raises ``FakeStripeError``, with the end of the log, when the
    server exits or is not ready within 15 s.
    """
    command = [sys.executable, "-m", "devtools.fake_stripe"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    if state is not None:
        command += ["--state", str(state)]
    if log_path is None:
        log_file = tempfile.TemporaryFile()
    else:
        log_file = open(log_path, "ab")  # closed by stop()
    proc = FakeStripeProcess(command, port, log_file)

    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if proc.poll() is not None:
            tail = proc.log_tail()
            stop(proc)
            raise FakeStripeError(
                f"fake Stripe exited with status {proc.returncode} before it was "
                f"ready on port {port}. End of its log:\n{tail}"
            )
        if _answers_health_check(proc):
            return proc
        if time.monotonic() > deadline:
            tail = proc.log_tail()
            stop(proc)
            raise FakeStripeError(
                f"fake Stripe was not ready on port {port} after {READY_TIMEOUT:.0f}"
                f" s. End of its log:\n{tail}"
            )
        time.sleep(POLL_INTERVAL)


def _answers_health_check(proc):
    try:
        with _request("GET", f"{proc.base_url}/_config/health", timeout=1) as response:
            # Another server already on the port must not pass for ours.
            return response.headers.get("X-Fake-Stripe-Pid") == str(proc.pid)
    except (URLError, OSError):
        return False


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> int:
    """Stop the server with SIGTERM (SIGKILL after ``timeout`` s); return its status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log_file = getattr(proc, "log_file", None)
    if log_file is not None:
        log_file.close()
    return proc.returncode


def reset(base_url: str) -> None:
    """Empty the store and the idempotency cache; webhook registrations stay."""
    _request("DELETE", f"{base_url}/_config/all").close()


def register_webhook(
    base_url: str,
    name: str,
    url: str,
    secret: str,
    events: list[str] | None = None,
) -> None:
    """Have the server sign events with ``secret`` and POST them to ``url``.

    Registrations live in the server's memory only: repeat this after each start.
    Registering ``name`` again replaces it. ``events`` limits the event types sent.
    """
    payload = {"url": url, "secret": secret}
    if events is not None:
        payload["events"] = list(events)
    url = f"{base_url}/_config/webhooks/{quote(name, safe='')}"
    _request("POST", url, payload).close()


def pay_out(base_url: str, currency: str | None = None) -> dict:
    """Pay out what the balance holds, as Stripe's automatic schedule would.

    Returns the payout. Only the fake has this route (``POST /_config/payouts``);
    against real Stripe, payouts come on the account's own schedule.
    """
    payload = {} if currency is None else {"currency": currency}
    with _request("POST", f"{base_url}/_config/payouts", payload) as response:
        return json.load(response)


def _request(method, url, payload=None, timeout=5.0):
    # The fake is plain HTTP; refusing other schemes keeps file:// and the like out.
    if urlsplit(url).scheme != "http":
        raise ValueError(f"fake Stripe URLs must start with http://, not {url!r}")
    data = None if payload is None else json.dumps(payload).encode()
    headers = {} if data is None else {"Content-Type": "application/json"}
    request = Request(url, data=data, method=method, headers=headers)  # noqa: S310
    return urlopen(request, timeout=timeout)  # noqa: S310
