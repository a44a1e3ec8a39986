"""A Celery worker whose receipt rendering takes seconds, for fault tests.

Run as ``python -m tests.slow_worker <celery worker args>``: it slows
``render_receipt_pdf`` down so that a test can kill the worker while a
receipt task is half done, then starts an ordinary worker.
"""

import sys
import time

import django

django.setup()

from receipts import services  # noqa: E402

_render = services.render_receipt_pdf


def slow_render(snapshot, **kwargs):
    sys.stderr.write("slow render started\n")
    sys.stderr.flush()
    time.sleep(30)
    return _render(snapshot, **kwargs)


services.render_receipt_pdf = slow_render

from mecene.celery import app  # noqa: E402

if __name__ == "__main__":
    app.worker_main(["worker", *sys.argv[1:]])
