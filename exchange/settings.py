"""Reuse Exchange settings: one module, read from the environment.

With no environment at all the platform runs embedded: SQLite under ``var/``, a
Celery broker on the filesystem (no server), media under ``media/`` and e-mail on
the console. Environment variables switch to PostgreSQL, Redis, S3 and SMTP.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("EXCHANGE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # Embedded default only; `check --deploy` flags it wherever it would be used.
    SECRET_KEY = "django-insecure-embedded-default-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "exchange.common.error_pages.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "exchange.common",
    "exchange.accounts",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "exchange.organisations",
    "exchange.categories",
    "exchange.lots",
    "exchange.claims",
    "exchange.impact",
    "exchange.notifications",
    "exchange.matching",
    "exchange.reuse",
    "api",
    # Demo data (seed_demo) and load generators (generate_load): tools, not the product.
    "devtools",
]

MIDDLEWARE = [
    "exchange.common.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "exchange.common.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "exchange.accounts.middleware.UserLanguageMiddleware",
    "exchange.accounts.middleware.SecondFactorRequiredMiddleware",
]

ROOT_URLCONF = "exchange.urls"
WSGI_APPLICATION = "exchange.wsgi.application"
ASGI_APPLICATION = "exchange.asgi.application"

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
                "exchange.organisations.context_processors.acting_organisation",
                "exchange.notifications.context_processors.unread_notifications",
                "exchange.home.context_processors.menu_counts",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
_DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'exchange.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        _DATABASE_URL,
        # Keep server connections open between requests (a new one costs ~30 ms);
        # health checks drop the ones the server closed.
        conn_max_age=env_int(
            "DATABASE_CONN_MAX_AGE", 0 if _DATABASE_URL.startswith("sqlite") else 60
        ),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks, and
    # take the write lock up front so that concurrent writers queue instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too (not shared-cache memory), so that concurrent threads and a
    # worker process see the same database and wait for locks instead of failing.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-exchange.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Sessions start in UTC, the zone Django reads and writes in (USE_TZ): otherwise
    # Django sets it on every new connection, one more round trip before the first query.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c TimeZone=UTC".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------
# Sign-in throttling lives in the cache, which every process of the platform must
# share: Redis when CACHE_URL names it (production), else files under var/.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["exchange.accounts.backends.UsernameOrEmailBackend"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Accounts (django-allauth) ------------------------------------------------
# Sign in with the username or the e-mail address; a new account acts only once its
# address is verified; no page tells whether an address has an account.
ACCOUNT_ADAPTER = "exchange.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_SIGNUP_FORM_CLASS = "exchange.accounts.forms.SignupExtraForm"
ACCOUNT_FORMS = {"login": "exchange.accounts.login_forms.LoginForm"}
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Reuse Exchange] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if env_bool("HTTPS", False) else "http"
ACCOUNT_SESSION_REMEMBER = None
# Failed sign-ins, counted per address (IP) and per account, on the web, the admin and
# the API token endpoint alike; past the limit they answer 429 with Retry-After.
EXCHANGE_LOGIN_FAILURES_PER_ADDRESS = env_int("EXCHANGE_LOGIN_FAILURES_PER_ADDRESS", 20)
EXCHANGE_LOGIN_FAILURES_PER_ACCOUNT = env_int("EXCHANGE_LOGIN_FAILURES_PER_ACCOUNT", 5)
EXCHANGE_LOGIN_FAILURES_WINDOW_SECONDS = env_int("EXCHANGE_LOGIN_FAILURES_WINDOW_SECONDS", 300)
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{EXCHANGE_LOGIN_FAILURES_PER_ADDRESS}/{EXCHANGE_LOGIN_FAILURES_WINDOW_SECONDS}s/ip,"
        f"{EXCHANGE_LOGIN_FAILURES_PER_ACCOUNT}/{EXCHANGE_LOGIN_FAILURES_WINDOW_SECONDS}s/key"
    ),
}
# API tokens (one per device or script) expire this many days after their last use, and
# at the latest this many days after they were made; a use is recorded at most once a
# minute.
EXCHANGE_API_TOKEN_DAYS = env_int("EXCHANGE_API_TOKEN_DAYS", 90)
EXCHANGE_API_TOKEN_MAX_DAYS = env_int("EXCHANGE_API_TOKEN_MAX_DAYS", 365)
EXCHANGE_API_TOKEN_TOUCH_SECONDS = env_int("EXCHANGE_API_TOKEN_TOUCH_SECONDS", 60)
# An invitation to become a member of an organisation can be accepted for this many days.
EXCHANGE_INVITATION_DAYS = env_int("EXCHANGE_INVITATION_DAYS", 14)
# Two-factor authentication (TOTP and recovery codes): offered to everyone, required of
# admin-site staff, moderators, analysts and organisation admins unless switched off
# (the demo of `make run` switches it off; exchange/accounts/second_factor.py).
MFA_ADAPTER = "exchange.accounts.second_factor.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
EXCHANGE_SECOND_FACTOR_REQUIRED = env_bool("EXCHANGE_SECOND_FACTOR_REQUIRED", True)
SOCIALACCOUNT_ADAPTER = "exchange.accounts.adapter.SocialAccountAdapter"

# --- Languages ----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("nl", _("Dutch")),
    ("fr", _("French")),
    ("de", _("German")),
    ("en", _("English")),
]
# Ours first; then django-allauth's messages in the formal register (locale/allauth/:
# allauth's own Dutch and German catalogues say je/du).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "allauth"]
TIME_ZONE = "Europe/Brussels"
# English dates as Belgium writes them (18/01/2027, 24-hour clock).
FORMAT_MODULE_PATH = ["exchange.formats"]
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Files only views that check who asks may serve (report jobs); no URL maps this folder.
# With S3 they go to the bucket, whose objects are private.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
# Serve straight from the apps' static folders when collectstatic has not run.
WHITENOISE_USE_FINDERS = True

AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }
else:
    MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SERVE_MEDIA = not AWS_STORAGE_BUCKET_NAME
# Private files (photos, certificates, report files) are answered by views that check
# who asks. Behind a proxy that serves files itself: "nginx" (X-Accel-Redirect to
# EXCHANGE_PRIVATE_FILES_INTERNAL_URL, an `internal` location over PRIVATE_MEDIA_ROOT)
# or "sendfile" (X-Sendfile with the file's path); empty: the app sends the file. With
# S3: a redirect to a signed URL valid EXCHANGE_SIGNED_URL_SECONDS.
EXCHANGE_PRIVATE_FILES_SERVER = os.environ.get("EXCHANGE_PRIVATE_FILES_SERVER", "")
EXCHANGE_PRIVATE_FILES_INTERNAL_URL = os.environ.get(
    "EXCHANGE_PRIVATE_FILES_INTERNAL_URL", "/private-files/"
)
EXCHANGE_SIGNED_URL_SECONDS = env_int("EXCHANGE_SIGNED_URL_SECONDS", 300)

# --- E-mail -------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Reuse Exchange <noreply@localhost>")

# --- Security -----------------------------------------------------------------
# HTTPS=true where the platform is served over TLS (production): redirect, secure
# cookies and HSTS. The embedded default serves plain HTTP on localhost.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every answer: scripts, styles, fonts and
# images from our own origin only, no inline script or style (the templates have none:
# scripts and styles live in static/), no plugins, no framing, forms post to us.
# Photos and files on S3 are shown from its origin (signed URLs).
_MEDIA_ORIGINS = []
if AWS_STORAGE_BUCKET_NAME and os.environ.get("AWS_S3_ENDPOINT_URL"):
    from urllib.parse import urlsplit as _urlsplit

    _endpoint = _urlsplit(os.environ["AWS_S3_ENDPOINT_URL"])
    _MEDIA_ORIGINS = [f"{_endpoint.scheme}://{_endpoint.netloc}"]
elif AWS_STORAGE_BUCKET_NAME:
    _MEDIA_ORIGINS = ["https://*.amazonaws.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_MEDIA_ORIGINS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Request bodies larger than this are refused (413) before they are read: the largest
# upload is a photo of 15 MB. JSON and form fields stay within Django's 2.5 MB.
EXCHANGE_MAX_REQUEST_BYTES = env_int("EXCHANGE_MAX_REQUEST_BYTES", 20 * 1024 * 1024)
# Where vulnerabilities are reported (/.well-known/security.txt, RFC 9116).
EXCHANGE_SECURITY_CONTACT = os.environ.get("EXCHANGE_SECURITY_CONTACT", "security@localhost")
# The contact point of the open data set in its DCAT-AP description.
EXCHANGE_OPEN_DATA_CONTACT = os.environ.get("EXCHANGE_OPEN_DATA_CONTACT", "opendata@localhost")
# Features no page of the platform uses, switched off for every page and answer.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exception_handler.exception_handler",
    # ?format= belongs to the annual report (csv, xlsx, pdf), not to content negotiation.
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.JSONRenderer",  # DRF's bytes, written by orjson
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reuse Exchange API",
    "DESCRIPTION": (
        "Surplus furniture and IT of public administrations, claimed by other services, "
        "social-economy enterprises and public or non-profit bodies. Authenticate with "
        "`Authorization: Token <token>`: `POST /api/v1/auth/token/` with your username (or "
        "e-mail address), password, the name of the device or script and, with two-factor "
        "authentication, the current code, makes a new token (expiring 90 days after its "
        "last use; list and revoke them at `/api/v1/auth/tokens/`). Failed sign-ins are "
        "throttled per address and per account (429 with `Retry-After`). Pick the "
        "organisation you act for with the `X-Organisation: <id>` header."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SanitisationMethodEnum": "exchange.lots.models.SanitisationMethod",
        "ErasureMethodEnum": "exchange.lots.models.LotItem.ErasureMethod",
        "ConditionEnum": "exchange.lots.models.Condition",
        "ClaimActionEnum": "exchange.claims.transitions.ClaimAction",
        "ReuseCheckStatusEnum": "exchange.reuse.models.CheckStatus",
        "ReuseCloseReasonEnum": "exchange.reuse.models.CloseReason",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_organisation_header",
        "api.schema.add_idempotency_responses",
    ],
}

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
BROKER_DIR = Path(os.environ.get("EXCHANGE_BROKER_DIR", VAR_DIR / "broker"))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    for _folder in ("queue", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
else:
    # A broker that does not answer is given up on within seconds (a write never waits
    # for it: exchange/common/tasks.py task_send).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Sending a task tries twice, 0.2 s apart, then gives up (the repair sweeps catch up).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0.2,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "exchange")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Expire lots past their date and announce claim windows that opened.
    "lots-advance": {"task": "lots.lots_advance", "schedule": 300.0},
    # Repair sweeps: the work of tasks that were never sent (the broker was down) or
    # were lost, once it is EXCHANGE_REPAIR_AFTER_SECONDS old (README "Background jobs").
    "impact-sweep": {"task": "impact.impact_records_sweep", "schedule": 900.0},
    # Send the invitations that a lost task never sent.
    "invitations-sweep": {"task": "organisations.invitations_send_sweep", "schedule": 600.0},
    "photos-sweep": {"task": "lots.lot_photos_sweep", "schedule": 120.0},
    # Forget the import files kept after their dry run once their hour is over.
    "import-files-sweep": {"task": "lots.lot_import_files_sweep", "schedule": 900.0},
    "emails-sweep": {"task": "notifications.notification_emails_sweep", "schedule": 120.0},
    "matching-sweep": {"task": "matching.matches_pending_sweep", "schedule": 120.0},
    "report-jobs-sweep": {"task": "impact.report_jobs_sweep", "schedule": 120.0},
    # Idempotency-Keys older than a day are forgotten.
    "idempotency-keys-sweep": {"task": "common.idempotent_requests_sweep", "schedule": 3600.0},
    "verified-notices-sweep": {
        "task": "organisations.organisation_verified_notify_sweep",
        "schedule": 300.0,
    },
    # Repair sweep: expire old requests and stale matches, match what changed since it
    # was last matched (and what a lost job never matched).
    "matches-rematch": {
        "task": "matching.matches_rematch_all",
        "schedule": crontab(hour=2, minute=30),
    },
    "matches-digest": {
        "task": "matching.matches_digest_send",
        "schedule": crontab(hour=7, minute=0),
    },
    # Close the reuse checks whose waiting period ended, with their attestations.
    "reuse-checks-close": {"task": "reuse.reuse_checks_close_due", "schedule": 900.0},
    # Lots about to end with units left, pickups within a day, requests about to end.
    "deadline-reminders": {
        "task": "notifications.deadline_reminders_send",
        "schedule": crontab(hour=8, minute=0),
    },
}

# --- Reuse Exchange domain settings -------------------------------------------
# Work still not done this long after it was asked for (a photo still processing, an
# e-mail not sent, a request never matched) is taken up by its repair sweep.
EXCHANGE_REPAIR_AFTER_SECONDS = env_int("EXCHANGE_REPAIR_AFTER_SECONDS", 120)
EXCHANGE_FEDERAL_WINDOW_DAYS = env_int("EXCHANGE_FEDERAL_WINDOW_DAYS", 10)
EXCHANGE_SOCIAL_ECONOMY_WINDOW_DAYS = env_int("EXCHANGE_SOCIAL_ECONOMY_WINDOW_DAYS", 10)
# Annual reports over more records than this are built by a Celery task.
EXCHANGE_REPORT_SYNC_LIMIT = env_int("EXCHANGE_REPORT_SYNC_LIMIT", 50_000)
# A wanted request's matches are its K best fitting lots (README "Matching").
EXCHANGE_MATCHES_PER_REQUEST = env_int("EXCHANGE_MATCHES_PER_REQUEST", 20)
# Reminders go out this many days before a lot or a wanted request ends.
EXCHANGE_REMINDER_DAYS = env_int("EXCHANGE_REMINDER_DAYS", 3)
# How many days a reuse check stays open by default (never past its needed-by date).
EXCHANGE_REUSE_CHECK_DAYS = env_int("EXCHANGE_REUSE_CHECK_DAYS", 10)
EXCHANGE_PHOTO_MAX_PIXELS = env_int("EXCHANGE_PHOTO_MAX_PIXELS", 50_000_000)
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo")
# Where people reach the platform: links in e-mails. Default: the address `make run`
# serves (HOST and PORT). EXCHANGE_BASE_URL, its former name, is still read.
_RUN_HOST = os.environ.get("HOST", "127.0.0.1")
if _RUN_HOST in ("", "0.0.0.0", "::"):  # noqa: S104 (a link, not a binding)
    _RUN_HOST = "127.0.0.1"
EXCHANGE_PUBLIC_URL = (
    os.environ.get("EXCHANGE_PUBLIC_URL")
    or os.environ.get("EXCHANGE_BASE_URL")
    or f"http://{_RUN_HOST}:{os.environ.get('PORT', '8000')}"
).rstrip("/")
EXCHANGE_BASE_URL = EXCHANGE_PUBLIC_URL  # the former name, for code not moved yet

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Federal sign-in (OpenID Connect) -----------------------------------------
# Off unless OIDC_ISSUER is set (README "Federal sign-in").
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_SCOPES = env_list("OIDC_SCOPES", "openid,email,profile")
# The sign-in button's words; empty: "Sign in with the Federal Authentication Service"
# in the reader's language.
OIDC_BUTTON_LABEL = os.environ.get("OIDC_BUTTON_LABEL", "")


def federal_sign_in_providers(issuer: str, client_id: str, secret: str, scopes: list[str]):
    """allauth's providers: the federal service when an issuer is set, else none."""
    apps = []
    if issuer:
        apps.append(
            {
                "provider_id": "fas",
                "name": "Federal Authentication Service",
                "client_id": client_id,
                "secret": secret,
                "settings": {"server_url": issuer, "scope": scopes},
            }
        )
    return {
        "openid_connect": {
            "provider_class": "exchange.accounts.federal.provider.FederalProvider",
            "OAUTH_PKCE_ENABLED": True,
            "APPS": apps,
        }
    }


SOCIALACCOUNT_PROVIDERS = federal_sign_in_providers(
    OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_SCOPES
)
if OIDC_ISSUER:
    # The federal button's form leads (through our redirect) to the provider's sign-in page.
    from urllib.parse import urlsplit as _urlsplit

    _issuer = _urlsplit(OIDC_ISSUER)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        f"{_issuer.scheme}://{_issuer.netloc}"
    )
# A first federal sign-in makes the person from the provider's verified claims; it joins
# an existing account only through a verified e-mail address (exchange/accounts/adapter.py).
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
