"""Syncdeck settings: one module, driven by environment variables.

Every default is the production one: DEBUG off, no sandbox, no private outbound targets,
and the secrets must be given (system checks in config/checks.py refuse a filesystem
broker or a missing Redis). The laptop demo is one explicit switch, SYNCDECK_DEMO=true
(`make run`, `make test`, pytest via pyproject, the benchmarks): it turns on DEBUG, the
sandbox at /sandbox/, private targets and keys derived from the install path, on top of
SQLite in WAL mode and Celery on kombu's filesystem transport.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SYNCDECK_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# The demo switch. Unset, nothing below falls back to a demo default.
DEMO = env_bool("SYNCDECK_DEMO", False)
DEBUG = env_bool("DEBUG", DEMO)
TESTING = env_bool("SYNCDECK_TESTING", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string in production "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set SYNCDECK_DEMO=true to run the local demo."
        )
    SECRET_KEY = "dev-insecure-" + hashlib.sha256(str(BASE_DIR).encode()).hexdigest()

PORT = env_int("PORT", 8000)
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# The sandbox (faithful local simulators of the outside APIs, with unauthenticated control
# endpoints) is on in the demo and off otherwise unless asked for. SANDBOX_ONLY serves
# nothing but the sandbox, so it can run as its own process for tests and benchmarks.
SANDBOX_ENABLED = env_bool("SANDBOX_ENABLED", DEMO)
SANDBOX_ONLY = env_bool("SANDBOX_ONLY", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "integrations",
    "dashboard",
    "config.apps.SyncdeckConfig",  # system checks (config/checks.py)
]
if SANDBOX_ENABLED:
    INSTALLED_APPS.append("sandbox")
    INSTALLED_APPS.append("sandbox.timetonic")
    INSTALLED_APPS.append("sandbox.timify")
    INSTALLED_APPS.append("sandbox.ptdistinction")
    INSTALLED_APPS.append("sandbox.timetopet")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dashboard.middleware.RequireMfaMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.workspace",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
# SQLite is shared by the web server, the worker and the scheduler: WAL, a busy timeout
# and immediate transactions keep "database is locked" away.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Which process a connection belongs to, in pg_stat_activity (web, worker, beat).
        DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = env_str(
            "DATABASE_APPLICATION_NAME", "syncdeck"
        )
        DATABASES["default"].setdefault("TEST", {})["NAME"] = env_str(
            "TEST_DATABASE_NAME", "test_syncdeck"
        )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # SQLITE_PATH lets a second process open the same file (tests' workers).
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "syncdeck.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=20000;"
                ),
            },
            # A file, not memory: the tests' live server threads and the sandbox write
            # concurrently, and only a file database honours the busy timeout.
            "TEST": {"NAME": str(VAR_DIR / "test_syncdeck.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Secrets marked with sensitive_post_parameters/sensitive_variables stay hidden on the DEBUG
# error page as well (Django's default filter only hides them with DEBUG off).
DEFAULT_EXCEPTION_REPORTER_FILTER = "dashboard.error_reports.SecretsHiddenFilter"

# Parallel test processes (pytest-xdist sets PYTEST_XDIST_WORKER=gw0, gw1, …) each get
# their own Redis databases and broker folder, as they get their own test database; the
# Celery workers a test starts inherit the variable, so they land on the same ones.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_XDIST_INDEX = int(XDIST_WORKER[2:]) if XDIST_WORKER[2:].isdecimal() else 0


def _per_test_process(url: str) -> str:
    if not _XDIST_INDEX or not url.startswith(("redis://", "rediss://")):
        return url
    parts = urlsplit(url)
    db = parts.path.strip("/") or "0"
    if not db.isdecimal():
        return url
    return parts._replace(path=f"/{(int(db) + 4 * _XDIST_INDEX) % 16}").geturl()


REDIS_URL = _per_test_process(env_str("REDIS_URL"))

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # The embedded mode: gunicorn's processes and the worker share one file cache, so the
    # per-address limits (login attempts, rejected webhooks) hold across processes. Each
    # pytest-xdist worker gets its own folder (tests clear the cache between tests).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache" / os.environ.get("PYTEST_XDIST_WORKER", "main")),
        }
    }

# --- Auth (django-allauth) ----------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "dashboard.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# Behind N reverse proxies the client address is the Nth from the right in
# X-Forwarded-For; without it every visitor shares the proxy's address (and its limit).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Self-signup is off; owners invite teammates. SIGNUP_OPEN=true opens it.
SIGNUP_OPEN = env_bool("SIGNUP_OPEN", False)
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"
# Two-factor authentication (allauth.mfa): an authenticator app and recovery codes, set
# up under /accounts/2fa/. An owner may require it for a workspace (Workspace.require_mfa).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Syncdeck")

# --- Static files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Syncdeck <syncdeck@localhost>")

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    # The TLS-terminating proxy in front says the scheme in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Redirect plain HTTP to HTTPS here; false when the proxy already does it.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading commits the whole domain (every subdomain) to HTTPS in browsers for
        # good: the operator's decision, not a default (security.W021 only asks about it).
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Celery -------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport (no server), which supports late acks.
CELERY_BROKER_URL = _per_test_process(env_str("CELERY_BROKER_URL", "filesystem://"))
BROKER_DIR = VAR_DIR / "broker" / (XDIST_WORKER or "main")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("out", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        # The stock interval (1 s) lets each worker take about one task per second.
        "polling_interval": float(env_str("BROKER_POLLING_INTERVAL", "0.1")),
        "store_processed": False,
    }
    # Messages written atomically (see config/broker.py).
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Workers keep their database connections between tasks (Celery's Django fixup otherwise
# closes them after every task: one new PostgreSQL connection per run). A connection that
# broke or outlived CONN_MAX_AGE is replaced before the next task (config/celery.py).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Credentials encryption ---------------------------------------------------------
# Comma-separated Fernet keys, newest first (MultiFernet: encrypt with the first, decrypt
# with any). Without it a key derived from SECRET_KEY is used (the demo only).
SYNCDECK_ENCRYPTION_KEYS = env_list("SYNCDECK_ENCRYPTION_KEYS", "")
if not SYNCDECK_ENCRYPTION_KEYS and not DEBUG:
    raise ImproperlyConfigured(
        "SYNCDECK_ENCRYPTION_KEYS is not set. Set it to one or more comma-separated Fernet "
        "keys (python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'), or set SYNCDECK_DEMO=true for the demo."
    )

# --- Locks --------------------------------------------------------------------------
# Named locks (e.g. refreshing a single-use GHL refresh token) use Redis when REDIS_URL is
# set, otherwise file locks under var/locks (one machine: the embedded default).
LOCK_DIR = VAR_DIR / "locks"

# --- HighLevel (GHL) ----------------------------------------------------------------
# With GHL_CLIENT_ID/GHL_CLIENT_SECRET set, the real marketplace and API are used;
# otherwise (demo) the sandbox's authorize page and token endpoint stand in.
GHL_CLIENT_ID = env_str("GHL_CLIENT_ID")
GHL_CLIENT_SECRET = env_str("GHL_CLIENT_SECRET")
GHL_USE_SANDBOX = env_bool("GHL_USE_SANDBOX", not GHL_CLIENT_ID and SANDBOX_ENABLED)
_sandbox_ghl = f"{SITE_URL}/sandbox/ghl"
if GHL_USE_SANDBOX:
    GHL_CLIENT_ID = GHL_CLIENT_ID or "sandbox-client-id"
    GHL_CLIENT_SECRET = GHL_CLIENT_SECRET or "sandbox-client-secret"
GHL_API_BASE_URL = env_str(
    "GHL_API_BASE_URL",
    _sandbox_ghl if GHL_USE_SANDBOX else "https://services.leadconnectorhq.com",
).rstrip("/")
GHL_AUTHORIZE_URL = env_str(
    "GHL_AUTHORIZE_URL",
    f"{_sandbox_ghl}/v2/oauth/chooselocation"
    if GHL_USE_SANDBOX
    else "https://marketplace.gohighlevel.com/v2/oauth/chooselocation",
)
GHL_TOKEN_URL = env_str("GHL_TOKEN_URL", f"{GHL_API_BASE_URL}/oauth/token")
GHL_REDIRECT_URI = env_str("GHL_REDIRECT_URI", f"{SITE_URL}/connections/oauth/ghl/callback/")
# Our share of GHL's burst limit (100 requests / 10 s per app per location), kept by every
# worker together (integrations/ratelimit.py); a little under 100 leaves a safety margin.
GHL_RATE_LIMIT_MAX = env_int("GHL_RATE_LIMIT_MAX", 95)
GHL_RATE_LIMIT_INTERVAL_SECONDS = float(env_str("GHL_RATE_LIMIT_INTERVAL_SECONDS", "10"))
# Refresh access tokens this many seconds before they expire.
GHL_REFRESH_MARGIN_SECONDS = env_int("GHL_REFRESH_MARGIN_SECONDS", 600)
# Public keys trusted for webhook signatures: GHL's published keys in production, the
# sandbox's in the demo.
_ghl_keys = BASE_DIR / "integrations" / "connectors" / "ghl" / "keys"
_sandbox_keys = BASE_DIR / "sandbox" / "keys"
GHL_WEBHOOK_ED25519_PUBLIC_KEY_FILE = env_str(
    "GHL_WEBHOOK_ED25519_PUBLIC_KEY_FILE",
    str((_sandbox_keys if GHL_USE_SANDBOX else _ghl_keys) / "ed25519-public.pem"),
)
GHL_WEBHOOK_RSA_PUBLIC_KEY_FILE = env_str(
    "GHL_WEBHOOK_RSA_PUBLIC_KEY_FILE",
    str((_sandbox_keys if GHL_USE_SANDBOX else _ghl_keys) / "rsa-public.pem"),
)
# Inbound webhooks (integrations/webhooks/guard.py): a larger body is refused (413); JSON
# nested deeper is refused (400); a rejected delivery keeps only a prefix of its body, and
# past the per-address budget a minute rejected deliveries are counted, not stored (429).
WEBHOOK_MAX_BODY_BYTES = env_int("WEBHOOK_MAX_BODY_BYTES", 1024 * 1024)
WEBHOOK_MAX_JSON_DEPTH = env_int("WEBHOOK_MAX_JSON_DEPTH", 64)
WEBHOOK_REJECTED_BODY_BYTES = env_int("WEBHOOK_REJECTED_BODY_BYTES", 2048)
WEBHOOK_REJECTED_PER_MINUTE = env_int("WEBHOOK_REJECTED_PER_MINUTE", 30)

# --- Outbound HTTP ------------------------------------------------------------------
HTTP_CONNECT_TIMEOUT = float(env_str("HTTP_CONNECT_TIMEOUT", "5"))
HTTP_READ_TIMEOUT = float(env_str("HTTP_READ_TIMEOUT", "30"))
# The SSRF guard refuses private and loopback targets for user-given URLs unless allowed
# (the demo and the tests talk to the sandbox on loopback).
HTTP_ALLOW_PRIVATE_TARGETS = env_bool("HTTP_ALLOW_PRIVATE_TARGETS", DEMO)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}

CELERY_BEAT_SCHEDULE = {
    "refresh-expiring-connections": {
        "task": "integrations.tasks.refresh_expiring_connections",
        "schedule": 300.0,
    },
}
CELERY_BEAT_SCHEDULE.update(
    {
        "reap-stuck-runs": {"task": "integrations.tasks.reap_stuck_runs", "schedule": 60.0},
        "poll-due-flows": {"task": "integrations.tasks.poll_due_flows", "schedule": 30.0},
        "finish-batches": {"task": "integrations.tasks.finish_batches", "schedule": 60.0},
    }
)
# Runs: automatic retries of transient failures (exponential backoff with jitter).
SYNC_RETRY_BASE_SECONDS = float(env_str("SYNC_RETRY_BASE_SECONDS", "2"))
SYNC_RETRY_MAX_SECONDS = float(env_str("SYNC_RETRY_MAX_SECONDS", "300"))
REAPER_GRACE_SECONDS = float(env_str("REAPER_GRACE_SECONDS", "120"))
# A running run's lease: past it, the reaper assumes its worker died and queues it again.
RUN_LEASE_SECONDS = float(env_str("RUN_LEASE_SECONDS", "300"))
# Circuit breaker per connection.
BREAKER_THRESHOLD = env_int("BREAKER_THRESHOLD", 5)
BREAKER_COOLDOWN_SECONDS = float(env_str("BREAKER_COOLDOWN_SECONDS", "60"))
# Alerts: rules are evaluated every minute, and at once when a run fails for good.
CELERY_BEAT_SCHEDULE.update(
    {"evaluate-alerts": {"task": "integrations.tasks.evaluate_alerts", "schedule": 60.0}}
)
# Retention (integrations/retention.py): older finished runs (their steps and log lines),
# processed webhook events and ledger entries are deleted in batches, daily. Open
# failures, runs an open conflict needs and unprocessed events are kept.
RUN_RETENTION_DAYS = env_int("RUN_RETENTION_DAYS", 30)
WEBHOOK_RETENTION_DAYS = env_int("WEBHOOK_RETENTION_DAYS", 30)
LEDGER_RETENTION_DAYS = env_int("LEDGER_RETENTION_DAYS", 365)
PRUNE_BATCH_SIZE = env_int("PRUNE_BATCH_SIZE", 1000)
CELERY_BEAT_SCHEDULE.update(
    {"prune-history": {"task": "integrations.tasks.prune_history", "schedule": 86400.0}}
)
# Connection health checks (integrations/checks.py): each connection's test call once per
# CONNECTION_CHECK_MINUTES, through the app's shared rate budget; a failed check alerts.
CONNECTION_CHECK_MINUTES = float(env_str("CONNECTION_CHECK_MINUTES", "15"))
CELERY_BEAT_SCHEDULE.update(
    {"check-connections": {"task": "integrations.tasks.check_connections", "schedule": 60.0}}
)
# /readyz: beat sends a heartbeat a worker stamps; older than a minute means not ready.
CELERY_BEAT_SCHEDULE.update(
    {"beat-heartbeat": {"task": "integrations.tasks.beat_heartbeat", "schedule": 20.0}}
)
SYNC_RUN_FAILED_HOOK = env_str("SYNC_RUN_FAILED_HOOK", "integrations.tasks.run_failed")
ALERTS_ERROR_RATE_MIN_RUNS = env_int("ALERTS_ERROR_RATE_MIN_RUNS", 5)

# --- Metrics (/metrics, Prometheus text format) --------------------------------------
# Counters and histograms of every process on this machine (gunicorn's workers, Celery
# workers) live in files under PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess
# mode; `runall` and config/gunicorn.py clear out dead processes); the gauges read from the
# database at scrape time (queue depth, oldest queued run, open breakers) are cluster-wide.
# A scrape needs `Authorization: Bearer $METRICS_TOKEN`, or an address in
# METRICS_ALLOWED_NETWORKS (default: this machine only).
METRICS_DIR = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "metrics")))
METRICS_DIR.mkdir(parents=True, exist_ok=True)
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
