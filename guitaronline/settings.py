"""GuitarOnline settings, read from the environment (django-environ).

With no variable set the site runs as the embedded default: SQLite, local
memory cache, console e-mail. `.env.example` documents every variable.
`APP_ENV=production` turns on the guards of `guitaronline.guards`.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from guitaronline import sentry
from guitaronline.environment import Env, refuse
from guitaronline.guards import is_production, payment_provider_problems, production_problems

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = Env()  # django-environ's, refusing a bad value with one line naming its variable
Env.read_env(BASE_DIR / ".env", overwrite=False)

APP_ENV = env.str("APP_ENV", default="development").strip().lower()
PRODUCTION = is_production(APP_ENV)
TESTING = APP_ENV == "test"

DEBUG = env.bool("DEBUG", default=not PRODUCTION and not TESTING)
SECRET_KEY = env.str("SECRET_KEY", default="change-me-development-only-key-never-used-in-production")

# --- Auth rate limiting (names kept from the earlier system) ----------------
REDIS_URL = env.str("REDIS_URL", default="")
AUTH_RATE_LIMIT_BACKEND = env.str("AUTH_RATE_LIMIT_BACKEND", default="redis" if REDIS_URL else "memory").strip().lower()
AUTH_RATE_LIMIT_REDIS_NAMESPACE = env.str("AUTH_RATE_LIMIT_REDIS_NAMESPACE", default="guitaronline:auth-rl")
AUTH_RATE_LIMIT_WINDOW_SECONDS = env.int("AUTH_RATE_LIMIT_WINDOW_SECONDS", default=60)
AUTH_RATE_LIMIT_REGISTER_REQUESTS = env.int("AUTH_RATE_LIMIT_REGISTER_REQUESTS", default=10)
AUTH_RATE_LIMIT_LOGIN_REQUESTS = env.int("AUTH_RATE_LIMIT_LOGIN_REQUESTS", default=10)
AUTH_RATE_LIMIT_REFRESH_REQUESTS = env.int("AUTH_RATE_LIMIT_REFRESH_REQUESTS", default=30)
# Addresses or networks (CIDR: the ingress controller's pod range) allowed to set X-Forwarded-For.
AUTH_RATE_LIMIT_TRUSTED_PROXY_IPS = env.networks("AUTH_RATE_LIMIT_TRUSTED_PROXY_IPS")
AUTH_RATE_LIMIT_ALLOW_IN_MEMORY_IN_PRODUCTION = env.bool("AUTH_RATE_LIMIT_ALLOW_IN_MEMORY_IN_PRODUCTION", default=False)
# A signed-in device's last use is written at most this often; an ended one is
# refused at once whatever this says (accounts.auth_sessions).
AUTH_SESSION_TOUCH_SECONDS = env.int("AUTH_SESSION_TOUCH_SECONDS", default=300)
# Ended and expired devices stay on record this long.
AUTH_SESSION_KEEP_DAYS = env.int("AUTH_SESSION_KEEP_DAYS", default=30)
# Wrong passwords for one account from one client address within the window pause that
# account's logins from there for the window (accounts.login_throttle); its owner is told by e-mail.
AUTH_LOGIN_ACCOUNT_FAILURES = env.int("AUTH_LOGIN_ACCOUNT_FAILURES", default=5)
AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS = env.int("AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS", default=900)
if AUTH_LOGIN_ACCOUNT_FAILURES < 1 or AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS < 1:
    sys.exit("Refusing to start: AUTH_LOGIN_ACCOUNT_FAILURES and AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS must be 1 or more.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"],
)
if PRODUCTION:
    _problems = production_problems(
        secret_key=SECRET_KEY,
        debug=DEBUG,
        limiter_backend=AUTH_RATE_LIMIT_BACKEND,
        allow_in_memory_limiter=AUTH_RATE_LIMIT_ALLOW_IN_MEMORY_IN_PRODUCTION,
        redis_url=REDIS_URL,
        allowed_hosts=ALLOWED_HOSTS,
    )
    if _problems:
        sys.exit("\n".join(f"Refusing to start: {problem}" for problem in _problems))

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -----------------------------------------------------------
INSTALLED_APPS = [
    "guitaronline.apps.GuitarOnlineAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",  # for its translations: Django reads the catalogs of installed apps only
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "django_ratelimit",
    "django_celery_beat",
    "audit",
    "accounts",
    "scheduling",
    "billing",
    "lessons",
    "booking",
    "notifications",
]

MIDDLEWARE = [
    # First: every response is counted, a 500 that a middleware below turned an exception into too.
    "guitaronline.core.middleware.HttpMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "guitaronline.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "guitaronline.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.browser_sessions.BrowserSessionMiddleware",
    "guitaronline.core.pages.NotFoundAsPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "guitaronline.urls"
WSGI_APPLICATION = "guitaronline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_notifications",
                "accounts.context_processors.email_confirmation",
            ],
            # `date` and `time` that show a stored date at the ends of the calendar instead of failing
            "builtins": ["guitaronline.core.template_dates"],
        },
    },
    {
        # Plain text (e-mails, in-app messages): nothing is HTML-escaped ("Dan O'Brien & Co" stays so);
        # pages escape the text when they show it.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False, "builtins": ["guitaronline.core.template_dates"]},
    },
]

# --- Database ---------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and rate-limit store ---------------------------------------------
_test_prefix = os.environ.get("PYTEST_XDIST_WORKER", "main") if TESTING else ""


def _redis_cache(prefix: str) -> dict:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{prefix}{_test_prefix}",
        # A Redis outage must not fail every request: reads miss, writes are dropped;
        # the auth limiter then fails closed (or open, see AUTH_RATE_LIMIT_FAIL_OPEN).
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2, "IGNORE_EXCEPTIONS": True},
    }


def _memory_cache(name: str) -> dict:
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": name}


def _file_cache(name: str) -> dict:
    """Without Redis, a cache the processes of one machine share (`make run`'s web
    server, worker and beat): what the worker changes, the pages see
    (`guitaronline.core.viewcache`). Tests keep one in memory per process."""
    return {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": Path(env.str("CACHE_DIR", default="") or VAR_DIR / "cache") / name,
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }


CACHES = {
    "default": (
        _redis_cache("guitaronline") if REDIS_URL else _memory_cache("default") if TESTING else _file_cache("default")
    ),
    "ratelimit": (
        _redis_cache(AUTH_RATE_LIMIT_REDIS_NAMESPACE)
        if AUTH_RATE_LIMIT_BACKEND == "redis" and REDIS_URL
        else _memory_cache("ratelimit")
    ),
}
RATELIMIT_USE_CACHE = "ratelimit"
# With the limiter's store unreachable: refuse auth requests (429, the default)
# or let them through unlimited (true).
RATELIMIT_FAIL_OPEN = env.bool("AUTH_RATE_LIMIT_FAIL_OPEN", default=False)
RATELIMIT_VIEW = "guitaronline.core.views.rate_limited"
SILENCED_SYSTEM_CHECKS: list[str] = []
if CACHES["ratelimit"]["BACKEND"].endswith("LocMemCache"):
    # The in-memory limiter counts per process: acceptable for the embedded
    # default and tests, and in production only with the explicit
    # AUTH_RATE_LIMIT_ALLOW_IN_MEMORY_IN_PRODUCTION acknowledgement.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- Accounts and auth ------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "landing"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 60 * 60)
# mandatory: confirm the e-mail before holding, buying or joining a waitlist; optional: the link is
# sent, nothing waits for it; none: no link is sent.
ACCOUNTS_EMAIL_VERIFICATION = env.str("ACCOUNTS_EMAIL_VERIFICATION", default="mandatory").strip().lower()
if ACCOUNTS_EMAIL_VERIFICATION not in ("mandatory", "optional", "none"):
    sys.exit(f"ACCOUNTS_EMAIL_VERIFICATION={ACCOUNTS_EMAIL_VERIFICATION!r}: use one of mandatory, optional, none.")
ACCOUNTS_EMAIL_VERIFICATION_HOURS = env.int("ACCOUNTS_EMAIL_VERIFICATION_HOURS", default=72)
ACCOUNTS_EMAIL_VERIFICATION_RESENDS_PER_HOUR = env.int("ACCOUNTS_EMAIL_VERIFICATION_RESENDS_PER_HOUR", default=5)

# --- Internationalisation and time zones ------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ru")
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_USER_TIMEZONE = env.str("DEFAULT_USER_TIMEZONE", default="Europe/Moscow")

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = not PRODUCTION  # serve from the source folders until collectstatic has run
# Files browsers ask for at the site's root (/favicon.ico), served by whitenoise as they are.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STATIC_ROOT.mkdir(exist_ok=True)
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

# --- E-mail -----------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "guitaronline.core.mail.ConsoleEmailBackend"
    ),
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="GuitarOnline <no-reply@guitaronline.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.DeviceJWTAuthentication",
        "guitaronline.core.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["guitaronline.core.parsers.JSONParser"],  # DRF's, with a nesting limit
    "DEFAULT_PAGINATION_CLASS": "guitaronline.core.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "guitaronline.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "guitaronline.core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_TOKEN_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default="") or SECRET_KEY,  # empty means unset
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "GuitarOnline API",
    "DESCRIPTION": "REST API of the GuitarOnline school. JWT in `Authorization: Bearer <access>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.models.Role",
        "SessionKindEnum": "accounts.models.SessionKind",
        "KindEnum": "lessons.models.HomeworkItem.Kind",  # the name it had before sessions had kinds
        "LanguageEnum": "accounts.models.Language",
        "BookingStatusEnum": "booking.models.Booking.Status",
        "LessonStatusEnum": "lessons.models.Lesson.Status",
        "PackageStatusEnum": "billing.models.LessonPackage.Status",
        "PaymentStatusEnum": "billing.models.Payment.Status",
        "OutboxStatusEnum": "audit.models.OutboxEvent.Status",
    },
}

# --- Booking rules (used from the booking core on) --------------------------
BOOKING_HOLD_MINUTES = env.int("BOOKING_HOLD_MINUTES", default=10)
BOOKING_REFUND_WINDOW_HOURS = env.int("BOOKING_REFUND_WINDOW_HOURS", default=24)
BOOKING_MIN_NOTICE_HOURS = env.int("BOOKING_MIN_NOTICE_HOURS", default=2)
# How long a student has to answer a teacher's proposal to move a lesson (never past the lesson).
BOOKING_PROPOSAL_HOURS = env.int("BOOKING_PROPOSAL_HOURS", default=48)
# Seconds the open-slots API shares one answer per question (guitaronline/core/shared_answers.py);
# 0 computes every answer (the tests, which must see every change at once).
OPEN_SLOTS_CACHE_SECONDS = env.int("OPEN_SLOTS_CACHE_SECONDS", default=0 if TESTING else 10)
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", default=30)

# --- Scheduling rules -----------------------------------------------------------
# A teacher's slots start at most this many days from now (scheduling.services).
SCHEDULING_MAX_DAYS_AHEAD = env.int("SCHEDULING_MAX_DAYS_AHEAD", default=365)
if not 1 <= SCHEDULING_MAX_DAYS_AHEAD <= 3650:
    sys.exit(f"Refusing to start: SCHEDULING_MAX_DAYS_AHEAD must be 1 to 3650 days, not {SCHEDULING_MAX_DAYS_AHEAD}.")

# --- Background work (Celery) -------------------------------------------------
# Broker: CELERY_BROKER_URL (redis://, or amqp:// for RabbitMQ), else REDIS_URL,
# else kombu's SQLAlchemy transport on a SQLite file in var/celery (the embedded
# default: no external service). Each message is a row written in one transaction,
# so the worker never reads half a message, as it could with kombu's filesystem
# transport (a file listed before its writer had locked it). Web, worker and beat
# share the file: the transport takes SQLite's write lock (BEGIN IMMEDIATE) to
# claim a message.
CELERY_BROKER_FOLDER = VAR_DIR / "celery"
CELERY_BROKER_URL = (
    env.str("CELERY_BROKER_URL", default="")
    or REDIS_URL
    or ("memory://" if TESTING else f"sqla+sqlite:///{CELERY_BROKER_FOLDER / 'broker.sqlite3'}")
)
if TESTING:  # a queue of its own, so test runs never feed a real worker
    CELERY_TASK_DEFAULT_QUEUE = f"guitaronline-test-{_test_prefix}"
if CELERY_BROKER_URL.startswith("sqla+"):
    CELERY_BROKER_FOLDER.mkdir(parents=True, exist_ok=True)
    # Passed to SQLAlchemy's create_engine: wait for another process's write instead of failing.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"connect_args": {"timeout": 30}}
else:
    # Longer than any countdown or ETA we use, so a late-acked task is not
    # redelivered while it still runs (Redis; RabbitMQ redelivers on a lost connection).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# django-celery-beat's database schedule, under a PostgreSQL advisory lock: one beat at a time.
CELERY_BEAT_SCHEDULER = "guitaronline.beat:LockedDatabaseScheduler"
# How often a waiting beat tries to take the lock (s).
BEAT_LOCK_RETRY_SECONDS = env.float("BEAT_LOCK_RETRY_SECONDS", default=5.0)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# print() / console e-mails in a task are logged at INFO, not WARNING
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
# Kick the outbox dispatcher after each commit that wrote events.
OUTBOX_KICK_ON_COMMIT = env.bool("OUTBOX_KICK_ON_COMMIT", default=not TESTING)
OUTBOX_MAX_RETRIES = env.int("OUTBOX_MAX_RETRIES", default=5)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
NOTIFICATION_SENDING_LEASE_SECONDS = env.int("NOTIFICATION_SENDING_LEASE_SECONDS", default=600)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Billing ----------------------------------------------------------------
# Where students pay: offline (the school settles by hand), stripe (EUR, USD) or yookassa (RUB).
BILLING_PAYMENT_PROVIDER = env.str("BILLING_PAYMENT_PROVIDER", default="offline")
# A checkout still pending this long is asked about at its provider (a notification lost) ...
BILLING_RECONCILE_AFTER_MINUTES = env.int("BILLING_RECONCILE_AFTER_MINUTES", default=10)
# ... and is abandoned after this long (offline: after days, for a bank transfer to arrive).
BILLING_CHECKOUT_MINUTES = env.int("BILLING_CHECKOUT_MINUTES", default=60)
BILLING_OFFLINE_CHECKOUT_DAYS = env.int("BILLING_OFFLINE_CHECKOUT_DAYS", default=14)
# How to pay the school offline (bank details, cash at the desk), shown after an offline checkout;
# empty: a general sentence in the student's language.
BILLING_OFFLINE_INSTRUCTIONS_EN = env.str("BILLING_OFFLINE_INSTRUCTIONS_EN", default="")
BILLING_OFFLINE_INSTRUCTIONS_RU = env.str("BILLING_OFFLINE_INSTRUCTIONS_RU", default="")
# YooKassa: the shop's id and secret key (YooKassa's dashboard, Integration, API keys); its
# notifications (payment.succeeded, payment.canceled, refund.succeeded) go to
# {SITE_URL}/api/v1/billing/webhooks/yookassa. The API's address changes only for tests.
YOOKASSA_SHOP_ID = env.str("YOOKASSA_SHOP_ID", default="")
YOOKASSA_SECRET_KEY = env.str("YOOKASSA_SECRET_KEY", default="")
YOOKASSA_API_BASE = env.str("YOOKASSA_API_BASE", default="https://api.yookassa.ru/v3").rstrip("/")
# Stripe: the secret key (Developers, API keys) and the signing secret of the webhook endpoint
# {SITE_URL}/api/v1/billing/webhooks/stripe, subscribed to checkout.session.completed,
# checkout.session.async_payment_succeeded, checkout.session.async_payment_failed,
# checkout.session.expired and charge.refunded. The API's address changes only for tests.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com").rstrip("/")
if PRODUCTION:
    _problems = payment_provider_problems(
        provider=BILLING_PAYMENT_PROVIDER,
        yookassa_shop_id=YOOKASSA_SHOP_ID,
        yookassa_secret_key=YOOKASSA_SECRET_KEY,
        yookassa_api_base=YOOKASSA_API_BASE,
        stripe_secret_key=STRIPE_SECRET_KEY,
        stripe_webhook_secret=STRIPE_WEBHOOK_SECRET,
        stripe_api_base=STRIPE_API_BASE,
    )
    if _problems:
        sys.exit("\n".join(f"Refusing to start: {problem}" for problem in _problems))
# The hosted provider's payment page, where the checkout form's answer redirects: Chrome and
# Safari check a form's redirects against the CSP form-action (below).
BILLING_CHECKOUT_ORIGINS = {"yookassa": ["https://yoomoney.ru"], "stripe": ["https://checkout.stripe.com"]}.get(
    BILLING_PAYMENT_PROVIDER, []
)

# --- Telegram ---------------------------------------------------------------
# With a bot token, users link their account to the school bot (a one-time deep link) and choose
# notifications there too. Telegram calls {SITE_URL}/api/v1/notifications/telegram/webhook with
# TELEGRAM_WEBHOOK_SECRET in its secret-token header (`manage.py telegram_webhook` registers it).
TELEGRAM_BOT_TOKEN = env.str("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_BOT_USERNAME = env.str("TELEGRAM_BOT_USERNAME", default="").lstrip("@")
TELEGRAM_WEBHOOK_SECRET = env.str("TELEGRAM_WEBHOOK_SECRET", default="")
TELEGRAM_API_BASE = env.str("TELEGRAM_API_BASE", default="https://api.telegram.org").rstrip("/")
TELEGRAM_LINK_MINUTES = env.int("TELEGRAM_LINK_MINUTES", default=15)
TELEGRAM_TIMEOUT_SECONDS = env.int("TELEGRAM_TIMEOUT_SECONDS", default=10)
if TELEGRAM_BOT_TOKEN and not (TELEGRAM_BOT_USERNAME and TELEGRAM_WEBHOOK_SECRET):
    sys.exit(
        "Refusing to start: TELEGRAM_BOT_TOKEN needs TELEGRAM_BOT_USERNAME (the bot's @name, for its links) "
        "and TELEGRAM_WEBHOOK_SECRET (1-256 characters of A-Z, a-z, 0-9, _ and -)."
    )

# --- Security ---------------------------------------------------------------
# In the database: a signed-in device lists and ends its browser session by key (accounts.auth_sessions).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF, *BILLING_CHECKOUT_ORIGINS],
        "frame-ancestors": [NONE],
    },
}

# --- Logging ----------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# plain | json; JSON lines (with the request id) by default in production.
LOG_FORMAT = (env.str("LOG_FORMAT", default="") or ("json" if PRODUCTION else "plain")).strip().lower()
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "guitaronline.logging.JsonFormatter"},
    },
    "filters": {"expected_refusals": {"()": "guitaronline.logging.ExpectedRefusalFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_FORMAT == "json" else "plain"}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Not Django's default console + mail_admins: the root's console, and ADMINS below.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["expected_refusals"]},
    },
}

# --- Errors: Sentry with SENTRY_DSN, else e-mail to ADMINS on a 500 ------------
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default=APP_ENV)
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
# The share of requests and tasks traced for performance (0 to 1); errors are always sent.
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
    refuse(f"SENTRY_TRACES_SAMPLE_RATE={SENTRY_TRACES_SAMPLE_RATE} must be from 0 to 1.")
sentry.init(
    dsn=SENTRY_DSN,
    environment=SENTRY_ENVIRONMENT,
    release=SENTRY_RELEASE,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)
# "Ops <ops@school.example>, other@school.example": told of every 500 by e-mail when Sentry is off.
ADMINS = [(name, address) for name, address in getaddresses([env.str("ADMINS", default="")]) if address]
if any("@" not in address for _name, address in ADMINS):
    refuse(f"ADMINS={env.str('ADMINS')!r} is not a list of e-mail addresses (Name <address>, comma-separated).")
if ADMINS and not SENTRY_DSN:
    LOGGING["filters"]["require_debug_false"] = {"()": "django.utils.log.RequireDebugFalse"}
    LOGGING["handlers"]["mail_admins"] = {
        "class": "django.utils.log.AdminEmailHandler",
        "level": "ERROR",
        "filters": ["require_debug_false"],
    }
    LOGGING["loggers"]["django.request"]["handlers"] = ["mail_admins"]  # and the console, through the root

# --- /metrics: who may scrape it -------------------------------------------------
# A bearer token (Prometheus' `authorization`), and/or addresses or networks
# (Prometheus' own, the pod CIDR). With neither, /metrics answers loopback only
# in production, anyone elsewhere (guitaronline.metrics).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.networks("METRICS_ALLOWED_IPS")

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
