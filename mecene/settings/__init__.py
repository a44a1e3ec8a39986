"""Mécène settings: one module, read from the environment once.

Development defaults are safe to run on a laptop (SQLite, files for mail,
the offline Stripe on 127.0.0.1). ``MECENE_ENV=production`` switches on the
hardening that ``manage.py check --deploy`` asks for and refuses to start
without a real secret key and allowed hosts.
"""

from decimal import Decimal
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_decimal, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("MECENE_VAR_DIR", str(BASE_DIR / "var")))

MECENE_ENV = env_str("MECENE_ENV", "development")
if MECENE_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"MECENE_ENV must be development, test or production, not {MECENE_ENV!r}"
    )
PRODUCTION = MECENE_ENV == "production"

DEBUG = env_bool("DEBUG", default=MECENE_ENV == "development")
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "djmoney",
    "campaigns",
    "donors",
    "payments",
    "receipts",
    "finance",
    "donorspace",
    "fx",
    "dashboard",
    "roles",
    "offline",
    "ledger",
    "reconcile",
    "wall",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "roles.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mecene.urls"
WSGI_APPLICATION = "mecene.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mecene.context_processors.foundation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite is the zero-setup demo default only; tests and production use
# PostgreSQL, whose row locks the receipt numbering and webhook dedupe rely on.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'mecene.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The demo's web server, worker and webhooks write at once: take the
    # write lock when a transaction starts (a deferred one that upgrades
    # fails at once with "database is locked"), and let readers go on (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Receipts, exports and the tax year follow Paris time; the database keeps UTC.
TIME_ZONE = "Europe/Paris"

# --- Static and media -----------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Receipts hold names and addresses: they live in private storage that no URL
# serves; staff and donors get them through views that check who asks.
PRIVATE_ROOT = Path(env_str("PRIVATE_ROOT", str(VAR_DIR / "private")))
MEDIA_ROOT = PRIVATE_ROOT
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Fondation de l'Université de Paris <dons@fondation.example>"
)

# --- Celery ---------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only once it has run, and is handed back to the
# broker if its worker process dies: receipts and emails are idempotent, so
# running twice is safe and running never is not.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task taken by a worker that died is handed out again after this long
    # (kombu's Redis transport); the receipt sweep covers the gap meanwhile.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# A web request that pays a gift must not hang on a dead broker: try briefly,
# then leave the work to the sweep (receipts.tasks).
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TIMEZONE = TIME_ZONE
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The demo's embedded broker when no Redis answers: two folders that a
    # worker and the web process share on one machine.
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE = {
    # Mid-January, once December's last payments are confirmed.
    "annual-receipts": {
        "task": "receipts.tasks.annual_receipts_task",
        "schedule": crontab(minute=0, hour=6, day_of_month="15", month_of_year="1"),
    },
    # Before the summaries: early December for most of the year's donors,
    # early January for those who first gave in December (once per year).
    "address-check-december": {
        "task": "donors.tasks.address_check_task",
        "schedule": crontab(minute=0, hour=9, day_of_month="1", month_of_year="12"),
    },
    "address-check-january": {
        "task": "donors.tasks.address_check_task",
        "schedule": crontab(minute=0, hour=9, day_of_month="2", month_of_year="1"),
    },
    "receipts-check": {
        "task": "receipts.tasks.receipts_check_task",
        "schedule": crontab(minute=30, hour=3),
    },
    "receipts-sweep": {
        "task": "receipts.tasks.receipt_sweep_task",
        "schedule": env_int("RECEIPT_SWEEP_SECONDS", 300),
    },
    # Monthly gifts due today, early enough for a failed card to be noticed
    # during the working day.
    "monthly-charges": {
        "task": "payments.tasks.charge_recurring_gifts_task",
        "schedule": crontab(minute=0, hour=env_int("RECURRING_CHARGE_HOUR", 7)),
    },
    "monthly-notices-sweep": {
        "task": "payments.tasks.recurring_notice_sweep_task",
        "schedule": env_int("RECEIPT_SWEEP_SECONDS", 300),
    },
    # Early morning, once yesterday's charges, refunds and payouts are in
    # Stripe's balance (docs/reconciliation.md).
    "stripe-reconciliation": {
        "task": "reconcile.tasks.reconciliation_daily_task",
        "schedule": crontab(minute=15, hour=4),
    },
    "dedication-cards-sweep": {
        "task": "wall.tasks.dedication_card_sweep_task",
        "schedule": env_int("RECEIPT_SWEEP_SECONDS", 300),
    },
    # Export files hold donors' details: deleted once they expire.
    "exports-purge": {
        "task": "finance.tasks.export_purge_task",
        "schedule": crontab(minute=15),
    },
}
# Finance exports (docs/exports.md): up to this many rows stream straight to
# the browser; larger ones run as a background job. Job files are kept this
# many hours.
MECENE_EXPORT_STREAM_ROWS = env_int("MECENE_EXPORT_STREAM_ROWS", 50_000)
MECENE_EXPORT_RETENTION_HOURS = env_int("MECENE_EXPORT_RETENTION_HOURS", 72)

# Stripe reconciliation (docs/reconciliation.md). The daily run starts this
# many days before the end of the last successful one, and the very first
# run reads this many days back.
RECONCILE_MARGIN_DAYS = env_int("RECONCILE_MARGIN_DAYS", 3)
RECONCILE_FIRST_RUN_DAYS = env_int("RECONCILE_FIRST_RUN_DAYS", 30)
# A run still "running" after this long is taken for dead (a killed worker).
RECONCILE_RUN_TIMEOUT_SECONDS = env_int("RECONCILE_RUN_TIMEOUT_SECONDS", 3600)

# --- Cache (rate limits shared by every web process) -------------------
CACHE_URL = env_str("CACHE_URL", REDIS_URL)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        if CACHE_URL == "locmem://"
        else {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "mecene",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    )
}
# Card-testing defence on the donate form: payment set-ups allowed per
# window, per client address and per email; and when declines pass the
# threshold within the window the form closes for a while and staff are told.
THROTTLE_WINDOW_SECONDS = env_int("THROTTLE_WINDOW_SECONDS", 600)
THROTTLE_SETUPS_PER_IP = env_int("THROTTLE_SETUPS_PER_IP", 10)
THROTTLE_SETUPS_PER_EMAIL = env_int("THROTTLE_SETUPS_PER_EMAIL", 5)
THROTTLE_DECLINES_TO_LOCK = env_int("THROTTLE_DECLINES_TO_LOCK", 25)
THROTTLE_LOCK_SECONDS = env_int("THROTTLE_LOCK_SECONDS", 900)
ADMINS = [("Finance", email) for email in env_list("ADMIN_EMAILS")]
# How many reverse proxies (nginx, a load balancer) stand in front of the
# site: the client's address is that many entries from the right of
# X-Forwarded-For. 0 trusts no header (the address is the connection's).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Stripe ---------------------------------------------------------------
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "" if PRODUCTION else "sk_test_local")
STRIPE_PUBLISHABLE_KEY = env_str(
    "STRIPE_PUBLISHABLE_KEY", "" if PRODUCTION else "pk_test_local"
)
STRIPE_WEBHOOK_SECRET = env_str(
    "STRIPE_WEBHOOK_SECRET", "" if PRODUCTION else "whsec_local"
)
# Empty means the real Stripe API; set to the offline Stripe for dev and tests.
STRIPE_API_BASE = env_str(
    "STRIPE_API_BASE", "" if PRODUCTION else "http://127.0.0.1:8420"
)
STRIPE_JS_URL = env_str(
    "STRIPE_JS_URL",
    f"{STRIPE_API_BASE}/js.stripe.com/v3/"
    if STRIPE_API_BASE
    else "https://js.stripe.com/v3/",
)
STRIPE_MAX_NETWORK_RETRIES = env_int(
    "STRIPE_MAX_NETWORK_RETRIES", 0 if STRIPE_API_BASE else 2
)
STRIPE_CONNECT_TIMEOUT_SECONDS = env_int("STRIPE_CONNECT_TIMEOUT_SECONDS", 5)
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 20)
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env_int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", 300)
if PRODUCTION and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set"
    )

# --- Gifts ----------------------------------------------------------------
GIFT_MINIMUM_EUR = env_decimal("GIFT_MINIMUM_EUR", "1.00")
GIFT_MAXIMUM_EUR = env_decimal("GIFT_MAXIMUM_EUR", "100000.00")
# A monthly gift below this costs more in fees and handling than it brings.
MONTHLY_GIFT_MINIMUM = env_decimal("MONTHLY_GIFT_MINIMUM", "5.00")
# Monthly gifts (docs/monthly-gifts.md): the days after a month's first try
# on which a declined payment is tried again before the gift is paused; the
# pace of the daily run (under Stripe's rate limits); how long the links in
# donor emails stay valid.
try:
    RECURRING_RETRY_DAYS = [
        int(day) for day in env_list("RECURRING_RETRY_DAYS", "3,7,10")
    ]
except ValueError:
    RECURRING_RETRY_DAYS = []
if (
    not RECURRING_RETRY_DAYS
    or RECURRING_RETRY_DAYS != sorted(set(RECURRING_RETRY_DAYS))
    or RECURRING_RETRY_DAYS[0] < 1
):
    raise ImproperlyConfigured("RECURRING_RETRY_DAYS must be increasing positive days")
RECURRING_CHARGES_PER_SECOND = env_decimal("RECURRING_CHARGES_PER_SECOND", "20")
if RECURRING_CHARGES_PER_SECOND <= 0:
    raise ImproperlyConfigured("RECURRING_CHARGES_PER_SECOND must be positive")
RECURRING_LINK_MAX_AGE_DAYS = env_int("RECURRING_LINK_MAX_AGE_DAYS", 45)
# Currencies a donor may give in (docs/currencies.md). Each needs a row in
# GIFT_CURRENCY_LIMITS; the check payments.E001 refuses any other set.
GIFT_CURRENCIES = [
    code.upper() for code in env_list("GIFT_CURRENCIES", "EUR,CZK,PLN,DKK")
]
# The foundation's own bounds per currency, as (minimum, maximum), in the
# currency's units. Fixed numbers rather than the euro bounds converted on
# the day, so a donor sees the same limits all year; the minimum is raised
# to Stripe's minimum charge if that is higher (payments.currency).
GIFT_CURRENCY_LIMITS = {
    "EUR": (GIFT_MINIMUM_EUR, GIFT_MAXIMUM_EUR),
    # Stripe takes at most 99,999,999 minor units: about 40,000 EUR in CZK.
    "CZK": (Decimal("25.00"), Decimal("999999.99")),
    "PLN": (Decimal("5.00"), Decimal("400000.00")),
    "DKK": (Decimal("10.00"), Decimal("750000.00")),
}
TAX_RATE_INDIVIDUAL = env_decimal("TAX_RATE_INDIVIDUAL", "0.66")
TAX_RATE_COMPANY = env_decimal("TAX_RATE_COMPANY", "0.60")
# Companies: the rate above TAX_COMPANY_THRESHOLD_EUR of gifts a year, and the
# yearly ceiling of gifts that count (the larger of a sum and a share of
# turnover; the excess carries over five years).
TAX_RATE_COMPANY_ABOVE = env_decimal("TAX_RATE_COMPANY_ABOVE", "0.40")
TAX_COMPANY_THRESHOLD_EUR = env_decimal("TAX_COMPANY_THRESHOLD_EUR", "2000000")
TAX_COMPANY_CEILING_EUR = env_decimal("TAX_COMPANY_CEILING_EUR", "20000")
TAX_COMPANY_CEILING_TURNOVER_SHARE = env_decimal(
    "TAX_COMPANY_CEILING_TURNOVER_SHARE", "0.005"
)
# IFI (impôt sur la fortune immobilière): 75 % of a gift off the tax, at most
# 50,000 € a year. Offered in the tax preview only when the foundation is
# eligible (a recognised public-utility or university foundation).
TAX_IFI_ENABLED = env_bool("TAX_IFI_ENABLED", False)
TAX_IFI_RATE = env_decimal("TAX_IFI_RATE", "0.75")
TAX_IFI_CAP_EUR = env_decimal("TAX_IFI_CAP_EUR", "50000.00")

# --- Scholarship ledger ---------------------------------------------------
# How undesignated gifts are shared among a campaign's beneficiaries that
# still need money for their bourse: "even" (equal shares, none beyond its
# need) or "in_order" (filled one after another by position). docs/ledger.md.
LEDGER_ALLOCATION_RULE = env_str("LEDGER_ALLOCATION_RULE", "even")
if LEDGER_ALLOCATION_RULE not in {"even", "in_order"}:
    raise ImproperlyConfigured(
        f"LEDGER_ALLOCATION_RULE must be even or in_order, not {LEDGER_ALLOCATION_RULE!r}"
    )

# --- The foundation (printed on receipts; README lists the variables) -----
FOUNDATION = {
    "name": env_str("FOUNDATION_NAME", "Fondation de l'Université de Paris (démo)"),
    "siren": env_str("FOUNDATION_SIREN", "875131377"),
    "rna": env_str("FOUNDATION_RNA", ""),
    "address_line": env_str("FOUNDATION_ADDRESS", "21 rue de l'École de médecine"),
    "postal_code": env_str("FOUNDATION_POSTAL_CODE", "75006"),
    "city": env_str("FOUNDATION_CITY", "Paris"),
    "country": env_str("FOUNDATION_COUNTRY", "France"),
    "object": env_str(
        "FOUNDATION_OBJECT",
        "Soutenir la formation, la recherche et la vie étudiante de l'université, "
        "dont le double projet sport et études des sportifs de haut niveau",
    ),
    "category_line": env_str(
        "FOUNDATION_CATEGORY",
        "Fondation universitaire ou fondation partenariale mentionnées "
        "respectivement aux articles L. 719-12 et L. 719-13 du code de l'éducation",
    ),
    "signatory_name": env_str("FOUNDATION_SIGNATORY_NAME", "Claire Martin-Delorme"),
    "signatory_capacity": env_str("FOUNDATION_SIGNATORY_CAPACITY", "Présidente"),
    "signature_image_path": env_str("FOUNDATION_SIGNATURE_IMAGE", ""),
}
# A donor not taxed in France gets no French receipt unless finance decides
# otherwise (docs/receipts.md).
# Which date dates a card, SEPA or transfer gift on its receipt: "payment"
# (the day the payment succeeded, Paris time) or "credited" (the day the money
# reached the foundation's account, recorded on the gift as received_on; the
# receipt waits for it). Cheques and cash always use the day received.
RECEIPT_DATE_RULE = env_str("RECEIPT_DATE_RULE", "payment")
if RECEIPT_DATE_RULE not in {"payment", "credited"}:
    raise ImproperlyConfigured("RECEIPT_DATE_RULE must be payment or credited")
RECEIPTS_FOR_NON_RESIDENTS = env_bool("RECEIPTS_FOR_NON_RESIDENTS", False)
# Counterparts an individual may receive without losing the reduction: at
# most 25 % of the gift and this much a year (73 € since 2021; revalued
# every five years, so a setting).
RECEIPT_COUNTERPART_CAP_EUR = env_decimal("RECEIPT_COUNTERPART_CAP_EUR", "73.00")
RECEIPT_COUNTERPART_SHARE = env_decimal("RECEIPT_COUNTERPART_SHARE", "0.25")
RECEIPT_FORM_INDIVIDUAL = ("2041-RD", env_str("RECEIPT_FORM_INDIVIDUAL", "11580*05"))
RECEIPT_FORM_COMPANY = ("2041-MEC-SD", env_str("RECEIPT_FORM_COMPANY", "16216*03"))

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Logging --------------------------------------------------------------
# Operational logs carry ids only (gift, receipt, Stripe object); never card
# data, IBANs, addresses or full emails.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "stripe": {"level": "WARNING"},
    },
}
