"""Django settings, read from the environment (CONTRACT §1).

Development needs nothing set: keys are generated into the data directory. Production
refuses to start without its keys, because a guessed or missing key would silently weaken
every session and every stored secret.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from carekey import environment, provider
from carekey.conf import DEFAULTS
from carekey.core.crypto import SecretBox, load_or_create_key_file, parse_keys

BASE_DIR = Path(__file__).resolve().parent
ENV = os.environ.get("CAREKEY_ENV", "development").strip().lower()
if ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"CAREKEY_ENV must be 'development' or 'production', not {ENV!r}.")
PRODUCTION = ENV == "production"
DATA_DIR = Path(os.environ.get("CAREKEY_DATA_DIR", "./var")).resolve()
# Every entry point (cli, wsgi, pytest) imports these settings before anything writes to
# the data dir, so from here on what this process creates (the SQLite database, its -wal
# and -shm files, development keys) is readable by this user only, not by every local one.
os.umask(0o077)


if PRODUCTION:
    _missing = [
        name
        for name in (
            "CAREKEY_SECRET_KEY",
            "CAREKEY_ENCRYPTION_KEYS",
            "CAREKEY_ALLOWED_HOSTS",
            "CAREKEY_OIDC_PRIVATE_KEY",
        )
        if not os.environ.get(name, "").strip()
    ]
    if _missing:
        raise ImproperlyConfigured(
            "CAREKEY_ENV=production refuses to start without " + ", ".join(_missing) + "."
        )
    SECRET_KEY = os.environ["CAREKEY_SECRET_KEY"].strip()
    CAREKEY_ENCRYPTION_KEYS = parse_keys(os.environ["CAREKEY_ENCRYPTION_KEYS"])
    try:
        SecretBox(CAREKEY_ENCRYPTION_KEYS)
    except ValueError as exc:
        raise ImproperlyConfigured(f"CAREKEY_ENCRYPTION_KEYS: {exc}") from None
    ALLOWED_HOSTS = environment.env_list("CAREKEY_ALLOWED_HOSTS")
    environment.refuse_weak_production_config(SECRET_KEY, ALLOWED_HOSTS)
    DEBUG = False
    if not os.environ.get("DATABASE_URL", "").strip():
        environment.make_private_dir(DATA_DIR)  # the default SQLite database lives there
else:
    environment.make_private_dir(DATA_DIR)
    # Development keys live in the data dir (mode 0600): restarts keep sessions and secrets.
    SECRET_KEY = os.environ.get("CAREKEY_SECRET_KEY", "").strip() or load_or_create_key_file(
        DATA_DIR / "secret_key"
    )
    CAREKEY_ENCRYPTION_KEYS = parse_keys(os.environ.get("CAREKEY_ENCRYPTION_KEYS", "")) or [
        load_or_create_key_file(DATA_DIR / "encryption.key")
    ]
    ALLOWED_HOSTS = environment.env_list("CAREKEY_ALLOWED_HOSTS") or [
        "127.0.0.1",
        "localhost",
        "[::1]",
    ]
    DEBUG = os.environ.get("CAREKEY_DEBUG", "") == "1"

CAREKEY_ISSUER = os.environ.get("CAREKEY_ISSUER", "").strip() or DEFAULTS["CAREKEY_ISSUER"]
CAREKEY_IDLE_TIMEOUT_MINUTES = environment.env_int(
    "CAREKEY_IDLE_TIMEOUT_MINUTES", DEFAULTS["CAREKEY_IDLE_TIMEOUT_MINUTES"]
)
CAREKEY_SESSION_MAX_HOURS = environment.env_int(
    "CAREKEY_SESSION_MAX_HOURS", DEFAULTS["CAREKEY_SESSION_MAX_HOURS"]
)
# Audit events are kept six years by default: the HIPAA documentation retention period.
CAREKEY_AUDIT_RETENTION_DAYS = environment.env_int(
    "CAREKEY_AUDIT_RETENTION_DAYS", DEFAULTS["CAREKEY_AUDIT_RETENTION_DAYS"]
)
# Forwarded headers are believed only from these proxy addresses (CONTRACT §4 throttling).
CAREKEY_TRUSTED_PROXIES = environment.env_list("CAREKEY_TRUSTED_PROXIES")

INSTALLED_APPS = [
    "carekey.staff.apps.CareKeyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "carekey.accounts",
    "carekey.audit",
    "carekey.mfa",
    "carekey.applock",
    "carekey.policy",
    "carekey.portal",
    "carekey.staff.apps.StaffConfig",
    "oauth2_provider",
    "corsheaders",
    "carekey.oidc",
]

MIDDLEWARE = [
    "carekey.gate.headers.SecurityHeadersMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "carekey.gate.middleware.SessionLifetimeMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "carekey.gate.middleware.AccessGateMiddleware",
]

ROOT_URLCONF = "carekey.urls"
# CareKey is served at the root. A SCRIPT_NAME sent by a client (gunicorn maps the header
# from "trusted" peers) must never move what the access gate sees away from what Django
# routes; a mount prefix would come from configuration, not from a request.
FORCE_SCRIPT_NAME = ""
WSGI_APPLICATION = "carekey.wsgi.application"

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
                "carekey.portal.context.app_lock",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{DATA_DIR / 'carekey.sqlite3'}",
        conn_max_age=60,
        # No `SELECT 1` before each request's first query (it was a tenth of a wrong-code
        # verify). A connection that went stale (a database restart) fails its first
        # query instead: that request answers 503 (gate/errors), and Django closes the
        # broken connection at the request's end, so the next one connects afresh.
        conn_health_checks=False,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout: concurrent writers wait instead of failing with "locked".
    # Tests use a file, not shared-cache memory, so threads lock like real processes do.
    # One file per test process, so concurrent runs never share (or delete) each other's.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-carekey-{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A vanished database host must fail fast into the 503 page, not hang the worker
    # until gunicorn kills it (the libpq default waits for ever).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", environment.env_int("CAREKEY_DB_CONNECT_TIMEOUT", 5)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Argon2id at OWASP's profile (accounts/hashers.py). It also verifies hashes made with
# Django's default parameters and rehashes them at the next sign-in. Django's own
# Argon2PasswordHasher is deliberately not listed after it: both are named "argon2" and
# Django verifies with the last hasher of a name, which would take every verification
# (the 100 MiB ones above all) out from under the concurrency cap.
# The first hashes patients' passwords; the second only OpenID clients' random secrets.
PASSWORD_HASHERS = [
    "carekey.accounts.hashers.OwaspArgon2PasswordHasher",
    "carekey.accounts.hashers.ClientSecretHasher",
]
# Argon2 runs at once per process (19 MiB each); further sign-ins wait their turn.
CAREKEY_MAX_CONCURRENT_HASHES = environment.env_int(
    "CAREKEY_MAX_CONCURRENT_HASHES", DEFAULTS["CAREKEY_MAX_CONCURRENT_HASHES"]
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "signin"

SESSION_ENGINE = "carekey.accounts.session_store"
SESSION_COOKIE_NAME = "carekey_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = CAREKEY_SESSION_MAX_HOURS * 3600
# Off by default: the cookie ends when the browser closes, so a shared or kiosk computer
# keeps no session for the next person. On, it lives until the session's own end (at most
# CAREKEY_SESSION_MAX_HOURS), for portals that want "stay signed in across restarts".
SESSION_EXPIRE_AT_BROWSER_CLOSE = not environment.env_flag("CAREKEY_SESSION_COOKIE_PERSISTENT")
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "carekey.gate.errors.csrf_failure"
# Single-page apps on other origins (a React portal at http://localhost:5173) may call
# /api/v1 with the patient's cookies: only these origins, and they are trusted for CSRF too.
CAREKEY_CORS_ORIGINS = environment.env_list("CAREKEY_CORS_ORIGINS")
CORS_ALLOWED_ORIGINS = CAREKEY_CORS_ORIGINS
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/api/v1/.*$"
CORS_ALLOW_HEADERS = ("content-type", "x-csrftoken", "accept", "accept-language")
CSRF_TRUSTED_ORIGINS = CAREKEY_CORS_ORIGINS

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# OpenID Connect provider (CONTRACT §8): the issuer is the public address.
CAREKEY_PUBLIC_URL = provider.public_url()
# The toolkit's own models; named here because CareKey's tables refer to them.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER = provider.toolkit_settings(
    CAREKEY_PUBLIC_URL,
    provider.private_key(PRODUCTION, DATA_DIR),
    provider.previous_keys(),
    production=PRODUCTION,
)

if PRODUCTION:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = os.environ.get("CAREKEY_SSL_REDIRECT", "1") != "0"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "carekey_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = PRODUCTION
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve straight from the app folders: no collectstatic step stands between a clone and a run.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = os.environ.get(
    "CAREKEY_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("CAREKEY_EMAIL_FROM", "CareKey <no-reply@localhost>")
EMAIL_HOST = os.environ.get("CAREKEY_SMTP_HOST", "localhost")
EMAIL_PORT = environment.env_int("CAREKEY_SMTP_PORT", 25)
EMAIL_HOST_USER = os.environ.get("CAREKEY_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CAREKEY_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("CAREKEY_SMTP_STARTTLS", "") == "1"

_redis_url = os.environ.get("REDIS_URL", "").strip()
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
            # The cache is optional: an unreachable Redis must cost a second, not a worker.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Expected refusals (a wrong code or password, a throttled attempt) are logged once, at
# INFO, by carekey.refusals in our words; Django's "Bad Request: …" warning for them is
# dropped. Other 4xx answers and every error are logged by Django as before.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"expected_refusals": {"()": "carekey.refusal_log.ExpectedRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "carekey": {"level": os.environ.get("CAREKEY_LOG_LEVEL", "INFO")},
        "django.request": {"filters": ["expected_refusals"]},
    },
}
