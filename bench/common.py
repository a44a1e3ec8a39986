"""Helpers shared by the benchmarks: databases, servers, wrk, timing, results.

Everything runs on this machine only: PostgreSQL on 127.0.0.1:5432 and
gunicorn servers that the benchmarks start on free 127.0.0.1 ports and stop
by PID when they are done.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
# Scratch space: receipt PDFs, exports and server logs; never the repo's var/.
WORK = Path(
    os.environ.get("BENCH_WORK_DIR", Path(tempfile.gettempdir(), "mecene-bench"))
)
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S", time.gmtime())
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


# --- Databases ------------------------------------------------------------


def _admin():
    return psycopg.connect(f"{PG}/postgres", autocommit=True)


def recreate_db(name: str) -> str:
    """Drop and create the bench database ``name``; return its URL."""
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def drop_db(name: str) -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def product_env(db: str, **extra: str) -> dict[str, str]:
    """The product's settings for a benchmark: development, DEBUG off."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="mecene.settings",
        MECENE_ENV="development",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"{PG}/{db}",
        MECENE_VAR_DIR=str(WORK / "var"),
        LOG_LEVEL="WARNING",
        # Nothing here should queue a task; if something did, it stays in
        # this process instead of landing in a shared Redis.
        CELERY_BROKER_URL="memory://",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> float:
    """Run ``manage.py args``; return its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - start


def setup_django(env: dict[str, str]) -> None:
    """Configure this process with ``env`` and start Django."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare_db(name: str, gifts: int) -> tuple[dict[str, str], dict]:
    """Fresh database with migrations and demo data; env and timings."""
    recreate_db(name)
    env = product_env(name)
    log(f"{name}: migrate, then load_demo_data --gifts {gifts}")
    timings = {
        "migrate_s": manage(env, "migrate", "--noinput", "-v", "0"),
        "load_demo_data_s": manage(env, "load_demo_data", "--gifts", str(gifts)),
    }
    return env, timings


# --- Servers and wrk --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@contextmanager
def gunicorn(name: str, wsgi: str, env: dict[str, str], probe: str):
    """Serve ``wsgi`` with 2 sync workers on a free loopback port.

    Yields the base URL once ``probe`` answers 200; stops the master by its
    PID (which stops its workers) on the way out.
    """
    port = free_port()
    (WORK / "logs").mkdir(parents=True, exist_ok=True)
    logfile = (WORK / "logs" / f"{name}.log").open("w")
    proc = subprocess.Popen(
        [GUNICORN, wsgi, "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited; see {logfile.name}")
            try:
                if get(base + probe)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer 200 on {probe}")
            time.sleep(0.2)
        log(f"{name}: gunicorn pid {proc.pid} on {base}")
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        logfile.close()
        log(f"{name}: gunicorn pid {proc.pid} stopped")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * _UNITS[unit]


def wrk(url: str, seconds: int = 10, warmup: int = 2) -> dict:
    """``wrk -t2 -c32`` against ``url``: req/s, p50 and p99 in ms, errors."""
    status, _body = get(url)
    if status != 200:
        raise RuntimeError(f"{url} answered {status}, not 200")
    command = ["wrk", "-t2", "-c32", "--latency", url]
    if warmup:
        subprocess.run(
            [*command[:-1], f"-d{warmup}s", url], check=True, capture_output=True
        )
    out = subprocess.run(
        [*command[:-1], f"-d{seconds}s", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    result = {
        "url_path": "/" + url.split("/", 3)[3],
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99_ms": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }
    log(
        f"wrk {result['url_path']}: {result['rps']:.0f} req/s, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"
    )
    return result


# --- Subprocess timing and results ---------------------------------------


def timed(command: list[str], env: dict[str, str]) -> dict:
    """Run ``command`` under ``/usr/bin/time -v``: wall seconds, peak RSS."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        subprocess.run(
            ["/usr/bin/time", "-v", "-o", report.name, *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report.read())
    return {"wall_s": wall, "max_rss_mb": int(rss.group(1)) / 1024}


def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def code_state() -> str:
    """The commit measured, and any uncommitted change outside bench/."""

    def git(*args: str) -> str:
        command = ["git", "-C", str(ROOT), *args]
        return subprocess.run(command, capture_output=True, text=True).stdout

    state = f"commit {git('rev-parse', '--short', 'HEAD').strip()}"
    dirty = [
        line[3:]
        for line in git("status", "--porcelain").splitlines()
        if not line[3:].startswith(("bench/", ".venv"))
    ]
    if dirty:
        shown = ", ".join(f"`{name}`" for name in dirty[:8])
        more = f" and {len(dirty) - 8} more" if len(dirty) > 8 else ""
        state += f" plus uncommitted changes to {shown}{more}"
    return state


def save(name: str, data: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    data = {"benchmark": name, "at": at, "code": code_state(), **data}
    data["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    log(f"results in {path.relative_to(ROOT)}")
    return path
