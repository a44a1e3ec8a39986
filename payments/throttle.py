"""Card-testing defence: limits on payment set-ups, and a lock on declines.

Fraudsters test stolen cards through donation forms with small amounts.
Counters live in the shared cache (Redis), in fixed windows. If the cache is
down the donor is let through: losing a gift is worse than missing a limit
for a few minutes, and the decline lock still needs Stripe's declines.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import mail_admins

logger = logging.getLogger(__name__)

LOCK_KEY = "throttle:donate-locked"
DECLINES_KEY = "throttle:declines"


def _key(kind: str, value: str) -> str:
    # Hashed: the cache holds no addresses or emails in clear.
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"throttle:{kind}:{digest}"


def _hit(key: str) -> int:
    try:
        cache.add(key, 0, timeout=settings.THROTTLE_WINDOW_SECONDS)
        return cache.incr(key)
    except Exception:
        logger.warning("throttle: cache unavailable, letting the request through")
        return 0


def client_ip(request) -> str:
    """The donor's address, seen through the trusted proxies only.

    Entries further left in X-Forwarded-For were written by the client and
    could be anything, so only the ones our own proxies appended count.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    ]
    forwarded = [part for part in forwarded if part]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def donate_allowed(*, ip: str, email: str) -> bool:
    """Count one payment set-up; False once a limit is passed or locked."""
    if donate_locked():
        return False
    by_ip = _hit(_key("ip", ip or "unknown"))
    by_email = _hit(_key("email", email))
    allowed = (
        by_ip <= settings.THROTTLE_SETUPS_PER_IP
        and by_email <= settings.THROTTLE_SETUPS_PER_EMAIL
    )
    if not allowed:
        logger.warning(
            "throttle: donate set-up refused (ip count %s, email count %s)",
            by_ip,
            by_email,
        )
    return allowed


def donate_locked() -> bool:
    try:
        return bool(cache.get(LOCK_KEY))
    except Exception:
        return False


def record_decline() -> None:
    """Count a declined card; lock the form and alert staff past the threshold."""
    declines = _hit(DECLINES_KEY)
    if declines < settings.THROTTLE_DECLINES_TO_LOCK or donate_locked():
        return
    try:
        cache.set(LOCK_KEY, True, timeout=settings.THROTTLE_LOCK_SECONDS)
    except Exception:
        return
    logger.error(
        "throttle: %s declines in %s s; donate form locked for %s s",
        declines,
        settings.THROTTLE_WINDOW_SECONDS,
        settings.THROTTLE_LOCK_SECONDS,
    )
    mail_admins(
        "Donate form locked: card declines spiking",
        f"{declines} card declines within {settings.THROTTLE_WINDOW_SECONDS} seconds. "
        f"The donate form is closed for {settings.THROTTLE_LOCK_SECONDS} seconds; "
        "check Stripe for card testing.",
        fail_silently=True,
    )


def unlock() -> None:
    cache.delete(LOCK_KEY)
    cache.delete(DECLINES_KEY)
