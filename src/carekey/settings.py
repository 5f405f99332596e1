"""Django settings, read from the environment (CONTRACT §1).

Development needs nothing set: keys are generated into the data directory. Production
refuses to start without its keys, because a guessed or missing key would silently weaken
every session and every stored secret.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from carekey.mfa.crypto import SecretBox, load_or_create_key_file, parse_keys

BASE_DIR = Path(__file__).resolve().parent
ENV = os.environ.get("CAREKEY_ENV", "development").strip().lower()
if ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"CAREKEY_ENV must be 'development' or 'production', not {ENV!r}.")
PRODUCTION = ENV == "production"
# The benchmark floor route (carekey/benchfloor.py, bench/): never in production.
BENCH_FLOOR = os.environ.get("CAREKEY_BENCH_FLOOR", "") == "1" and not PRODUCTION
DATA_DIR = Path(os.environ.get("CAREKEY_DATA_DIR", "./var")).resolve()
# Every entry point (cli, wsgi, pytest) imports these settings before anything writes to
# the data dir, so from here on what this process creates (the SQLite database, its -wal
# and -shm files, development keys) is readable by this user only, not by every local one.
os.umask(0o077)


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be greater than zero.")
    return value


def _make_private_dir(path: Path) -> None:
    """Create the data dir 0700, or close one we own that others can read.

    The umask covers what this process creates; this covers what was there before: a dir
    made 0755 and files made 0644 by an older CareKey or by hand. Group and other bits are
    removed from the dir and from the files directly in it. A dir owned by another user is
    left as its owner set it (it is theirs to lay out, and we could not change it anyway).
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid != os.geteuid():
        return
    if info.st_mode & 0o077:
        path.chmod(stat.S_IMODE(info.st_mode) & 0o700)
    for entry in os.scandir(path):
        if not entry.is_file(follow_symlinks=False):
            continue
        entry_info = entry.stat(follow_symlinks=False)
        if entry_info.st_uid == info.st_uid and entry_info.st_mode & 0o077:
            os.chmod(entry.path, stat.S_IMODE(entry_info.st_mode) & 0o700)


if PRODUCTION:
    _missing = [
        name
        for name in ("CAREKEY_SECRET_KEY", "CAREKEY_ENCRYPTION_KEYS", "CAREKEY_ALLOWED_HOSTS")
        if not os.environ.get(name, "").strip()
    ]
    if _missing:
        raise ImproperlyConfigured(
            "CAREKEY_ENV=production refuses to start without " + ", ".join(_missing) + "."
        )
    SECRET_KEY = os.environ["CAREKEY_SECRET_KEY"].strip()
    ENCRYPTION_KEYS = parse_keys(os.environ["CAREKEY_ENCRYPTION_KEYS"])
    try:
        SecretBox(ENCRYPTION_KEYS)
    except ValueError as exc:
        raise ImproperlyConfigured(f"CAREKEY_ENCRYPTION_KEYS: {exc}") from None
    ALLOWED_HOSTS = _env_list("CAREKEY_ALLOWED_HOSTS")
    DEBUG = False
    if not os.environ.get("DATABASE_URL", "").strip():
        _make_private_dir(DATA_DIR)  # the default SQLite database lives there
else:
    _make_private_dir(DATA_DIR)
    # Development keys live in the data dir (mode 0600): restarts keep sessions and secrets.
    SECRET_KEY = os.environ.get("CAREKEY_SECRET_KEY", "").strip() or load_or_create_key_file(
        DATA_DIR / "secret_key"
    )
    ENCRYPTION_KEYS = parse_keys(os.environ.get("CAREKEY_ENCRYPTION_KEYS", "")) or [
        load_or_create_key_file(DATA_DIR / "encryption.key")
    ]
    ALLOWED_HOSTS = _env_list("CAREKEY_ALLOWED_HOSTS") or ["127.0.0.1", "localhost", "[::1]"]
    DEBUG = os.environ.get("CAREKEY_DEBUG", "") == "1"

ISSUER = os.environ.get("CAREKEY_ISSUER", "").strip() or "CareKey"
IDLE_TIMEOUT_MINUTES = _env_int("CAREKEY_IDLE_TIMEOUT_MINUTES", 30)
SESSION_MAX_HOURS = _env_int("CAREKEY_SESSION_MAX_HOURS", 12)
# Audit events are kept six years by default: the HIPAA documentation retention period.
AUDIT_RETENTION_DAYS = _env_int("CAREKEY_AUDIT_RETENTION_DAYS", 6 * 366)
# Forwarded headers are believed only from these proxy addresses (CONTRACT §4 throttling).
TRUSTED_PROXIES = _env_list("CAREKEY_TRUSTED_PROXIES")

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
]

MIDDLEWARE = [
    "carekey.portal.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "carekey.accounts.middleware.SessionLifetimeMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "carekey.accounts.middleware.AccessGateMiddleware",
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
        conn_health_checks=True,
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
        "connect_timeout", _env_int("CAREKEY_DB_CONNECT_TIMEOUT", 5)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Argon2id at OWASP's profile (accounts/hashers.py). It also verifies hashes made with
# Django's default parameters and rehashes them at the next sign-in. Django's own
# Argon2PasswordHasher is deliberately not listed after it: both are named "argon2" and
# Django verifies with the last hasher of a name, which would take every verification
# (the 100 MiB ones above all) out from under the concurrency cap.
PASSWORD_HASHERS = ["carekey.accounts.hashers.OwaspArgon2PasswordHasher"]
# Argon2 runs at once per process (19 MiB each); further sign-ins wait their turn.
MAX_CONCURRENT_HASHES = _env_int("CAREKEY_MAX_CONCURRENT_HASHES", 2)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/portal/signin"

SESSION_ENGINE = "carekey.accounts.session_store"
SESSION_COOKIE_NAME = "carekey_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "carekey.portal.errors.csrf_failure"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
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
EMAIL_PORT = _env_int("CAREKEY_SMTP_PORT", 25)
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"carekey": {"level": os.environ.get("CAREKEY_LOG_LEVEL", "INFO")}},
}
