"""Settings for the credit portal, read from the environment (and an optional `.env` file).

Defaults are safe for production (DEBUG off, secure cookies, no default secret key) except for the
embedded database and broker: with no ``DATABASE_URL`` the portal runs on SQLite, with no
``CELERY_BROKER_URL`` on kombu's filesystem transport, so a newcomer sees it working at once.
"""
import os
import sys
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
TESTING = env.bool("DJANGO_TESTING", default="pytest" in sys.modules)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (scripts/run writes one into .env).")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

LOCAL_APPS = [
    "creditportal",
    "audit",
    "proposals",
    "accounts",
    "customers",
    "creditinfo",
    "ratings",
    "credit",
    "collection",
    "insurance",
    "monitoring",
    "provisions",
    "reports",
    "validation",
    "demo",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_fsm",
    *LOCAL_APPS,
]

MIDDLEWARE = [
    # First: every log line of a request carries its id, every answer echoes it (X-Request-ID), and the
    # latency metric measures the whole chain.
    "creditportal.core.request_context.RequestIdMiddleware",
    "creditportal.core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "creditportal.core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "creditportal.core.request_context.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.portal",
            ],
            "builtins": ["creditportal.core.formatting"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server, the worker and beat write without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with the health check repeated at most every DATABASE_HEALTH_CHECK_INTERVAL
        # seconds per connection instead of on every request (creditportal/db/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "creditportal.db.postgresql"
DATABASE_HEALTH_CHECK_INTERVAL = env.int("DATABASE_HEALTH_CHECK_INTERVAL", default=10)
# The API's hot statements (token lookup, pages of the big lists) as prepared statements: parsed and planned
# once per connection (creditportal/core/api.py:prepared_cursor). Turn off behind a transaction-mode pooler
# without prepared-statement support.
API_PREPARED_STATEMENTS = env.bool("API_PREPARED_STATEMENTS", default=True)
# Behind PgBouncer in transaction mode: a server-side cursor (QuerySet.iterator()) cannot outlive the pooler's
# transaction, so read in chunks on the client instead (docs/DEPLOYMENT.md).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Client address ------------------------------------------------------------------------
# How many trusted proxies stand in front of the portal (each appends to X-Forwarded-For). 0: the
# address is REMOTE_ADDR and X-Forwarded-For, which any client can write, is never read.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# --- Cache (Redis when configured: throttling and locks must be shared between processes) ----
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Django's Redis cache with one client object per pool (creditportal/core/cache.py)
    CACHES = {"default": {"BACKEND": "creditportal.core.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Authentication -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend with the user's permission set cached between requests (versioned; see the module).
    "creditportal.core.permcache.CachedModelBackend",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 9}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.NotUsernameValidator"},
    {"NAME": "accounts.validators.NotPreviousPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lock-out (django-axes, checked by its backend before any password is hashed): an address is locked after
# AXES_FAILURE_LIMIT failed logins within the cool-off time, whatever the usernames tried (a flood of random
# usernames costs one PBKDF2 hash each), and so is the username at that address; the lock expires by itself
# after AXES_COOLOFF_TIME. A success does not reset the count: with the address among the parameters it
# would let an attacker with one valid login clear the address's failures and go on guessing.
# The address is the portal's one rule (NUM_PROXIES above).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["ip_address"], ["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "creditportal.core.request_context.ip_from_request"
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Idle expiry by the cookie's age renewed on each request; absolute expiry by the middleware.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=10 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True

# --- Security: secure unless told the site runs on plain http (scripts/run does, locally) -----
SECURE_TRANSPORT = env.bool("DJANGO_SECURE", default=not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = SECURE_TRANSPORT
CSRF_COOKIE_SECURE = SECURE_TRANSPORT
SECURE_SSL_REDIRECT = SECURE_TRANSPORT and env.bool("DJANGO_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if SECURE_TRANSPORT else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_TRANSPORT
SECURE_HSTS_PRELOAD = SECURE_TRANSPORT
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("DJANGO_BEHIND_PROXY", default=False) else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: strict, scripts and styles from the portal's static files only
# (creditportal.core.csp.DEFAULT_POLICY; a CONTENT_SECURITY_POLICY dict here would replace it).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env("DJANGO_LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
FORMAT_MODULE_PATH = ["creditportal.formats"]
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "creditportal" / "locale"]

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"  # uploads are served only through permission-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so a request without valid credentials gets 401 with a WWW-Authenticate header.
        "creditportal.core.api.ActiveUserTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: a viewset must say which permission each of its actions needs.
    "DEFAULT_PERMISSION_CLASSES": ["creditportal.core.api.ActionPermission"],
    "DEFAULT_PAGINATION_CLASS": "creditportal.core.api.StandardPagination",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "creditportal.core.api.CachedContentNegotiation",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "creditportal.core.api.FilterBackend",  # django-filter's, skipped when only page parameters are given
        "creditportal.core.api.SearchFilter",  # a refused ?search= names the parameter
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "creditportal.core.schema.AutoSchema",  # documents the error answers
    "EXCEPTION_HANDLER": "creditportal.core.api_errors.exception_handler",
    # Token requests: per username and address, and per address whatever the username
    # (accounts.api.TokenLoginThrottle, atomic counters: creditportal/core/throttle.py).
    "DEFAULT_THROTTLE_RATES": {"auth_token": env("API_TOKEN_THROTTLE", default="5/min"),
                               "auth_token_address": env("API_TOKEN_ADDRESS_THROTTLE", default="20/min")},
    # Whose address a request is: REMOTE_ADDR unless NUM_PROXIES trusted proxies stand in front
    # (creditportal.core.request_context.ip_from_request; DRF's own get_ident reads the same setting).
    "NUM_PROXIES": NUM_PROXIES,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Credit portal API",
    "DESCRIPTION": "Corporate credit management: customers, ratings, credit, collection, monitoring.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "creditportal.core.schema.require_digits_in_decimals"],
    # One name per choice set: the currency whatever the field is called, and the several "status" sets.
    "ENUM_NAME_OVERRIDES": {
        "CurrencyEnum": "creditportal.core.money.CURRENCIES",
        "CreditPolicyStatusEnum": "credit.models.CreditPolicy.Status",
        "ApplicationStatusEnum": "credit.models.CreditApplication.Status",
        "FacilityStatusEnum": "credit.models.Facility.Status",
        "OrderStatusEnum": "credit.models.Order.Status",
        "CustomerStatusEnum": "customers.models.CustomerStatus",
        "InvoiceStatusEnum": "collection.models.InvoiceStatus",
        "AlertStatusEnum": "monitoring.models.AlertStatus",
        "ClassificationStatusEnum": "monitoring.models.ClassificationStatus",
        "RatingBatchStatusEnum": "ratings.models.BatchStatus",
        "JobStatusEnum": "validation.models.RunStatus",  # the same choices as reports' ReportBatch.Status
        "GradeEnum": "credit.models.GRADE_CHOICES",
        "ClaimPayoutKindEnum": "collection.models.ClaimPayoutKind",
        "ActivityKindEnum": "collection.models.ActivityKind",
        "CollateralKindEnum": "credit.models.Collateral.Kind",
        "NegativeRecordKindEnum": "customers.models.NegativeRecordKind",
        "FactorKindEnum": "ratings.models.FactorKind",
        "ReportKindEnum": "reports.models.ReportKind",
        "ReportBatchKindEnum": "reports.models.ReportBatch.Kind",
        "SimulationKindEnum": "validation.models.Simulation.Kind",
        "EclRunStateEnum": "provisions.models.RunState",
        "EclScenarioSetStateEnum": "provisions.models.ScenarioState",
        "EclAveragingEnum": "provisions.models.Averaging",
        "EclSegmentByEnum": "provisions.models.SegmentBy",
    },
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (CELERY_FILESYSTEM_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_processed": str(CELERY_FILESYSTEM_DIR / "processed"),
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
    }
else:
    # No ETA/countdown in this project exceeds an hour; keep it below the visibility timeout.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The transactional outbox (creditportal/core/tasks.py): tasks are rows written with the write that needs
# them; the writing process sends them after the commit, and the relay sends what is left (broker down).
OUTBOX_RELAY_INTERVAL = env.int("OUTBOX_RELAY_INTERVAL", default=10)  # seconds between beat's relay runs
OUTBOX_RELAY_GRACE = env.int("OUTBOX_RELAY_GRACE", default=30)  # the writer's own send first; then the relay
OUTBOX_RETRY_MAX = env.int("OUTBOX_RETRY_MAX", default=300)  # longest wait between two failed sends (seconds)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=7)  # sent rows are deleted after this many days
# Idempotency-Key on money-moving API writes (creditportal/core/idempotency.py): how long a key is remembered.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
# A re-rating batch with no chunk finished for this long (and none being worked on) has stalled: its
# missing chunks are sent again; after RATING_BATCH_MAX_RESUMES resumes without progress it fails.
RATING_BATCH_STALL_SECONDS = env.int("RATING_BATCH_STALL_SECONDS", default=5 * 60)
RATING_BATCH_MAX_RESUMES = env.int("RATING_BATCH_MAX_RESUMES", default=3)
CELERY_TIMEZONE = TIME_ZONE
# Queues: batch work (re-rating, report batches, dunning and month-end runs, the nightly evaluations,
# validation runs) goes to the "batch" queue, everything else (a user's follow-up tasks, the outbox relay,
# housekeeping) to the default queue "celery", so a night's batch never holds up a click's follow-up.
# Run one worker per queue (Procfile: worker -Q celery, worker-batch -Q batch). Routed by task name; the
# outbox's sends (at once and by the relay) resolve the same routes. tests/ops/test_queues.py checks that
# every registered task is listed in exactly one of the two.
CELERY_TASK_DEFAULT_QUEUE = "celery"
BATCH_QUEUE = "batch"
BATCH_TASKS = (
    "ratings.nightly_batch",
    "ratings.run_rating_batch",
    "ratings.run_rating_chunk",
    "reports.build_report_batch",
    "collection.daily",
    "collection.refresh_aging_summary",
    "collection.run_dunning_now",
    "monitoring.evaluate_daily",
    "monitoring.month_end_run",
    "provisions.take_month_end_snapshot",
    "credit.tasks.expire_facilities",
    "insurance.expire_buyer_limits",
    "validation.run_validation",
    "validation.run_simulation",
    "customers.refresh_peer_statistics",
    "customers.refresh_latest_analyses",
    "audit.check_chain",
    "monitoring.refresh_dashboard_snapshot",
)
INTERACTIVE_TASKS = (
    "creditportal.relay_outbox",
    "creditportal.clear_expired_sessions",
    "creditportal.purge_outbox_and_keys",
    "ratings.check_stalled_batches",
    "ratings.recheck_customer",
    "reports.generate_rating_report",
    "collection.execute_dunning_action",
    "monitoring.evaluate_customers",
    "monitoring.evaluate_facility",
    "credit.tasks.test_covenants",
)
CELERY_TASK_ROUTES = {name: {"queue": BATCH_QUEUE} for name in BATCH_TASKS}
# The portfolio dashboard's snapshot (monitoring/selectors/dashboard_snapshot.py): recomputed in the background
# every DASHBOARD_SNAPSHOT_REFRESH_SECONDS (beat, the batch queue); every stored copy (the refresh's, and a
# request's after a miss) lives DASHBOARD_SNAPSHOT_TTL seconds, longer than the interval so the page's default
# period stays warm; the page shows when its figures were computed.
DASHBOARD_SNAPSHOT_REFRESH_SECONDS = env.int("DASHBOARD_SNAPSHOT_REFRESH_SECONDS", default=10 * 60)
DASHBOARD_SNAPSHOT_TTL = env.int("DASHBOARD_SNAPSHOT_TTL", default=15 * 60)

# --- Operations: metrics ----------------------------------------------------------------------
# /metrics (Prometheus text format) answers only a request with "Authorization: Bearer <METRICS_TOKEN>";
# without a token set it answers 404 to everyone. Request latencies, task counts and durations and the
# periodic jobs' last successes are kept in Redis (REDIS_URL) so that every gunicorn and Celery process,
# on any host, adds to the same series and they survive restarts; without Redis, in the process (dev only).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_KEY_PREFIX = env("METRICS_KEY_PREFIX", default="cp:metrics")
# Backups (scripts/backup, config/backup.py): the archive's manifest is signed (HMAC) with a key derived from
# this, or from SECRET_KEY when empty; a restore must run with the same value.
BACKUP_SIGNING_KEY = env("BACKUP_SIGNING_KEY", default="")

# --- Business settings ----------------------------------------------------------------------
REPORTING_CURRENCY = env("REPORTING_CURRENCY", default="CNY")
# Business dates a user types (invoices, payments, promises, delegations, filters) must fall in this range:
# from BUSINESS_DATE_EARLIEST to today + BUSINESS_DATE_YEARS_AHEAD years (creditportal.core.dates).
BUSINESS_DATE_EARLIEST = env("BUSINESS_DATE_EARLIEST", default="1990-01-01")
BUSINESS_DATE_YEARS_AHEAD = env.int("BUSINESS_DATE_YEARS_AHEAD", default=30)
SYSTEM_USERNAME = "system"
# A delegation of a level whose amount cap is above this (reporting currency), or that has no cap, is a
# proposal that a risk administrator approves (four-eyes); smaller delegations apply at once.
DELEGATION_FOUR_EYES_ABOVE = env("DELEGATION_FOUR_EYES_ABOVE", default="10000000")
DEMO_PASSWORD = env("DEMO_PASSWORD", default="demo12345")
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="credit-portal@localhost")
# The portal's address as users reach it: e-mails carry absolute links built on it.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Logs: one JSON object a line (python-json-logger) with the request id (creditportal.core.request_context:
# the request's, or in a worker the id of the request that enqueued the task). LOG_FORMAT=plain for a
# terminal.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "creditportal.core.request_context.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        # "time": ISO 8601 in UTC (the record's creation time)
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s %(process)d",
                 "rename_fields": {"levelname": "level", "name": "logger"}, "timestamp": "time",
                 "json_ensure_ascii": False},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_FORMAT == "json" else "plain",
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "creditportal.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
