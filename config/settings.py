"""Django settings of the ticket dashboard.

Every value comes from an environment variable documented in .env.example. Demo mode
(`DASHBOARD_DEMO`, set by `make run` when no Sendcloud keys are given) points the client at the
local simulator and may keep a generated development secret key in a git-ignored file.
"""

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_origins,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DASHBOARD_VERSION = "0.1.0"
DEMO_MODE = env_bool("DASHBOARD_DEMO")
DEBUG = False


def _development_secret_key() -> str:
    """Read the generated key of a demo, creating it on first use."""
    key_file = VAR_DIR / "development-secret-key"
    if not key_file.exists():
        VAR_DIR.mkdir(exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEMO_MODE:
        raise ImproperlyConfigured(
            "SECRET_KEY is missing. Set it in the environment (see .env.example); "
            "only demo mode generates one."
        )
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ("127.0.0.1", "localhost"))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "tickets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so that pages which middleware renders on its own (refusals) carry the policy too.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside EmbeddingMiddleware, so that it sees the exemption that EmbeddingMiddleware marks
    # on responses when portal origins are configured.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tickets.middleware.EmbeddingMiddleware",
    "tickets.middleware.RequestLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, so a POST to a page that only reads gets 405, not a CSRF 403.
    "tickets.middleware.UnsafeMethodMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tickets.middleware.SingleSignOnMiddleware",
    "tickets.middleware.IdleSessionMiddleware",
    "tickets.middleware.HtmxLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tickets.middleware.MethodNotAllowedPageMiddleware",
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
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tickets.context_processors.dashboard",
                "tickets.security.embedding",
            ],
        },
    },
]

# SQLite in WAL mode by default, so the web and sync processes can share it.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "dashboard",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "dashboard_cache",
            # Django's default of 300 entries would evict tickets, locks and budget counters.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", False)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Security headers. The demo runs on plain HTTP on loopback, so secure cookies and HSTS
# follow DASHBOARD_HTTPS, which production sets.
HTTPS = env_bool("DASHBOARD_HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# The load balancer's health check may speak plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# The header through which a TLS-terminating proxy reports the original scheme, for example
# X-Forwarded-Proto. Set it only when the proxy always sets or strips that header.
PROXY_SSL_HEADER = env_str("DASHBOARD_PROXY_SSL_HEADER")
if PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Cookies. A portal on another site frames the dashboard as a third party, and browsers send
# such cookies only with SameSite=None and Secure. EmbeddingMiddleware also marks them
# Partitioned (CHIPS), because browsers that block third-party cookies still keep those.
CROSS_SITE_COOKIES = env_bool("DASHBOARD_CROSS_SITE_COOKIES", False)
SESSION_COOKIE_SECURE = HTTPS or CROSS_SITE_COOKIES
CSRF_COOKIE_SECURE = HTTPS or CROSS_SITE_COOKIES
SESSION_COOKIE_SAMESITE = "None" if CROSS_SITE_COOKIES else "Lax"
CSRF_COOKIE_SAMESITE = "None" if CROSS_SITE_COOKIES else "Lax"
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "tickets.security.csrf_failure"

# A session ends after this many seconds without a request from the agent. Polls do not count
# (IdleSessionMiddleware), so an open tab alone does not keep a session alive.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 8 * 3600, minimum=60)
# The middleware records activity at most once a minute, so the cookie outlives the idle limit
# by that minute and the middleware ends the session on time.
SESSION_ACTIVITY_RESOLUTION_SECONDS = 60
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS + SESSION_ACTIVITY_RESOLUTION_SECONDS

# Failed sign-ins: after this many failures for one user name from one address, or this many
# from one address for any user names, sign-in is rejected there until the window ends.
SIGN_IN_FAILURES = env_int("DASHBOARD_SIGN_IN_FAILURES", 5, minimum=1)
SIGN_IN_FAILURES_PER_ADDRESS = env_int("DASHBOARD_SIGN_IN_FAILURES_PER_ADDRESS", 20, minimum=1)
SIGN_IN_LOCKOUT_SECONDS = env_int("DASHBOARD_SIGN_IN_LOCKOUT_SECONDS", 900, minimum=1)

# Single sign-on: the intranet's reverse proxy authenticates the agent and sends the user name
# in this header. With it set, every request except the health check must come from one of
# DASHBOARD_TRUSTED_PROXIES and carry the header.
SSO_HEADER = env_str("DASHBOARD_SSO_HEADER")
# Addresses or networks of the reverse proxies, comma-separated, for example 10.0.0.5,10.1.0.0/16.
# Also used to read the client address from X-Forwarded-For for sign-in throttling.
TRUSTED_PROXIES = env_networks("DASHBOARD_TRUSTED_PROXIES")
if SSO_HEADER and not TRUSTED_PROXIES:
    raise ImproperlyConfigured(
        "DASHBOARD_SSO_HEADER is set but DASHBOARD_TRUSTED_PROXIES is empty. List the "
        "addresses of the reverse proxies that set the header."
    )

# Embedding in the intranet portal. Only these origins may frame the dashboard; without any,
# nobody may.
DASHBOARD_FRAME_ANCESTORS = env_origins("DASHBOARD_FRAME_ANCESTORS")
# The portal's address of a dashboard page, for "copy link", for example
# https://intranet.example.com/tickets?path={path}. {path} becomes the dashboard path and query,
# percent-encoded as a query value.
DASHBOARD_PORTAL_LINK = env_str("DASHBOARD_PORTAL_LINK")
if DASHBOARD_PORTAL_LINK and (
    "{path}" not in DASHBOARD_PORTAL_LINK
    or not DASHBOARD_PORTAL_LINK.startswith(("https://", "http://"))
):
    raise ImproperlyConfigured(
        "DASHBOARD_PORTAL_LINK must be an http or https URL that contains {path}, not "
        f"{DASHBOARD_PORTAL_LINK!r}."
    )

# htmx is configured in base.html to inject no styles and evaluate nothing, so the policy needs
# neither 'unsafe-inline' nor 'unsafe-eval'.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-src": [CSP.NONE],
    "frame-ancestors": DASHBOARD_FRAME_ANCESTORS or [CSP.NONE],
}

# Sendcloud Support API. Both keys set means live mode; the demo launcher sets them for its
# simulator. A system check reports exactly one key set by name.
SENDCLOUD_API_URL = env_str("SENDCLOUD_API_URL", "https://panel.sendcloud.sc/api/v3")
SENDCLOUD_PUBLIC_KEY = env_str("SENDCLOUD_PUBLIC_KEY")
SENDCLOUD_SECRET_KEY = env_str("SENDCLOUD_SECRET_KEY")
SENDCLOUD_CONNECT_TIMEOUT = env_float("SENDCLOUD_CONNECT_TIMEOUT", 3.05, minimum=0.1)
SENDCLOUD_READ_TIMEOUT = env_float("SENDCLOUD_READ_TIMEOUT", 8.0, minimum=0.1)
SENDCLOUD_DEADLINE = env_float("SENDCLOUD_DEADLINE", 10.0, minimum=0.5)
SENDCLOUD_POOL_SIZE = env_int("SENDCLOUD_POOL_SIZE", 16, minimum=1)
# "basic" sends the keys with every request; "oauth2" trades them for a Bearer token at
# SENDCLOUD_TOKEN_URL first, for integrations set to require OAuth2.
SENDCLOUD_AUTH = env_str("SENDCLOUD_AUTH", "basic").lower()
if SENDCLOUD_AUTH not in ("basic", "oauth2"):
    raise ImproperlyConfigured(f"SENDCLOUD_AUTH must be basic or oauth2, not {SENDCLOUD_AUTH!r}.")
SENDCLOUD_TOKEN_URL = env_str("SENDCLOUD_TOKEN_URL", "https://account.sendcloud.com/oauth2/token")
# Seconds a fetched ticket is served to every page without asking Sendcloud again. Ten seconds
# is shorter than the 15 s poll, so an agent alone on a ticket sees fresh data on every poll,
# while any number of agents on one ticket cost at most six calls a minute.
SENDCLOUD_TICKET_CACHE_SECONDS = env_int("SENDCLOUD_TICKET_CACHE_SECONDS", 10, minimum=0)
# Calls to Sendcloud a minute, shared by all processes. Sendcloud's Support spec shows a limit
# of 30 a minute in an example; the general limit for GET is 1,000 a minute.
SENDCLOUD_REQUESTS_PER_MINUTE = env_int("SENDCLOUD_REQUESTS_PER_MINUTE", 30, minimum=1)
# Seconds no process calls Sendcloud after a 429 without a usable Retry-After. The documented
# limits count per minute, so a minute clears the window of any of them.
SENDCLOUD_RATE_LIMIT_BACKOFF_SECONDS = env_float(
    "SENDCLOUD_RATE_LIMIT_BACKOFF_SECONDS", 60.0, minimum=1.0
)
# Seconds no process calls Sendcloud after a call timed out, so a silent Sendcloud holds one
# worker thread per pause instead of one per open page. 0 turns the pause off.
SENDCLOUD_TIMEOUT_PAUSE_SECONDS = env_float("SENDCLOUD_TIMEOUT_PAUSE_SECONDS", 10.0, minimum=0.0)

# Seconds between two polls of an open ticket page.
DASHBOARD_POLL_SECONDS = env_int("DASHBOARD_POLL_SECONDS", 15, minimum=2)
# How long the last known state of a ticket is kept to show beside an upstream failure.
DASHBOARD_STALE_SECONDS = env_int("DASHBOARD_STALE_SECONDS", 24 * 3600, minimum=60)
# How long to tell clients to wait after Sendcloud failed, in the Retry-After header.
DASHBOARD_RETRY_AFTER_SECONDS = env_int("DASHBOARD_RETRY_AFTER_SECONDS", 30, minimum=1)

# The ticket queue. A document request older than this many days stands out in the documents
# queue.
DASHBOARD_DOCUMENT_OVERDUE_DAYS = env_int("DASHBOARD_DOCUMENT_OVERDUE_DAYS", 3, minimum=0)
# Seconds between the starts of two passes of `manage.py sync_tickets --loop`.
SYNC_INTERVAL_SECONDS = env_int("SYNC_INTERVAL_SECONDS", 60, minimum=5)
# Seconds after the last successful sync pass when the pages warn that the data is late.
SYNC_LATE_SECONDS = env_int("SYNC_LATE_SECONDS", max(300, 3 * SYNC_INTERVAL_SECONDS), minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "config.logging.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.request": {"level": "ERROR"},
    },
}

# The single sign-on backend only acts on a user name from SingleSignOnMiddleware.
AUTHENTICATION_BACKENDS = ["tickets.auth.DashboardBackend", "tickets.security.SingleSignOnBackend"]
