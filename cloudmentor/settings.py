"""Settings, read from the environment (django-environ).

Defaults give the embedded set-up (SQLite, local-memory cache, console email, secrets
generated once into ``var/secrets.json``). ``CLOUDMENTOR_ENV=production`` turns on the
production profile: every secret must then come from the environment, cookies are
Secure, HTTPS is enforced and ``manage.py check --deploy`` is clean.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

# Makes ModelAdmin, ModelForm, QuerySet... subscriptable at run time, so the apps can write ModelAdmin[Plan].
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CLOUDMENTOR_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
ENVIRONMENT = env.str("CLOUDMENTOR_ENV", default="development")
PRODUCTION = ENVIRONMENT == "production"
TESTING = ENVIRONMENT == "test"


def _local_secrets() -> dict[str, Any]:
    """Return the secrets of the embedded set-up, generated on first use.

    Production never reaches this: its secrets come from the environment only.
    """
    path = VAR_DIR / "secrets.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    generated = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "COOKIE_KEYS": [secrets.token_urlsafe(32)],
    }
    path.write_text(json.dumps(generated))
    path.chmod(0o600)
    return generated


if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    # Comma-separated, newest first: the first key encrypts, every key decrypts.
    COOKIE_KEYS = env.list("COOKIE_KEYS")
else:
    _secrets = _local_secrets()
    SECRET_KEY = env.str("SECRET_KEY", default=_secrets["SECRET_KEY"])
    COOKIE_KEYS = env.list("COOKIE_KEYS", default=_secrets["COOKIE_KEYS"])

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Addresses of reverse proxies whose X-Forwarded-For header is believed.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="cloudmentor.scale@gmail.com")
# The address absolute links (emails, PDFs) point to (SC-6). Outside production it defaults
# to where `make run` serves: the HOST and PORT the Makefile exports (a wildcard HOST is
# reached at 127.0.0.1). In production it is required, like SECRET_KEY.
if PRODUCTION:
    SITE_URL = env.str("SITE_URL").rstrip("/")
else:
    _served_host = env.str("HOST", default="127.0.0.1")
    if _served_host in {"", "0.0.0.0", "::", "[::]"}:  # noqa: S104 - a wildcard address is reached locally
        _served_host = "127.0.0.1"
    SITE_URL = env.str("SITE_URL", default=f"http://{_served_host}:{env.int('PORT', default=8000)}").rstrip("/")

INSTALLED_APPS = [
    "cloudmentor.core",
    "cloudmentor.mailing",
    "cloudmentor.accounts",
    "cloudmentor.operations",
    "cloudmentor.newsletter",
    "cloudmentor.billing",
    "cloudmentor.donations",
    "cloudmentor.sso",
    "cloudmentor.scim",
    "cloudmentor.learning",
    "cloudmentor.legal",
    "cloudmentor.analytics",
    "cloudmentor.demo",
    "cloudmentor.backoffice",
    # Django's admin, with the staff site of accounts (login through the site, TOTP).
    "cloudmentor.accounts.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    # Outermost: every cookie is decrypted on the way in and encrypted on the way out.
    "cloudmentor.core.middleware.CookieEncryptionMiddleware",
    # Request log (PV-5): sees the final status of every response; sets no cookie.
    "cloudmentor.analytics.middleware.RequestLogMiddleware",
    # TRACE, PUT and the like: 405 before anything else runs (TR-7); the request log records it.
    "cloudmentor.core.middleware.MethodAllowedMiddleware",
    # Maintenance windows (TM-5): 503 for all but staff, before any cached page is served;
    # the request log above records it (docs/operations.md).
    "cloudmentor.operations.middleware.MaintenanceMiddleware",
    # Whole pages for visitors who send no cookie, with every header the layers below set
    # (docs/decisions/0007-anonymous-page-cache.md).
    "cloudmentor.core.pagecache.AnonymousPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A member's pages are never kept by a shared cache (TR-7); static files never get here.
    "cloudmentor.core.middleware.PrivatePagesMiddleware",
    "csp.middleware.CSPMiddleware",
    # Django's SessionMiddleware, with the account cookie as an envelope (CK-4).
    "cloudmentor.accounts.middleware.AccountSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # During a window, a logged-in request gets the 503 unless its user is staff (TM-5).
    "cloudmentor.operations.middleware.MaintenanceStaffGateMiddleware",
    # Whether the layout shows this member a notice of new terms (TM-1; read lazily).
    "cloudmentor.legal.middleware.PolicyNoticeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cloudmentor.urls"
WSGI_APPLICATION = "cloudmentor.wsgi.application"

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
                "cloudmentor.core.context_processors.site",
                "cloudmentor.operations.context_processors.maintenance",
                # The banner of new policy versions and the notice of new terms (TM-1), cached.
                "cloudmentor.legal.context_processors.policies",
            ],
        },
    },
]

# Database: SQLite (WAL, busy timeout) unless DATABASE_URL names another.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache("REDIS_URL")
    if env.str("REDIS_URL", default="")
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "cloudmentor",
        # Each member uses a few entries (session, account, entitlements, progress):
        # Django's default of 300 would evict them on a busy single machine.
        "OPTIONS": {"MAX_ENTRIES": env.int("LOCAL_CACHE_MAX_ENTRIES", default=50_000)},
    }
}
if "REDIS_URL" in env and env.str("REDIS_URL"):
    CACHES["default"]["BACKEND"] = "django.core.cache.backends.redis.RedisCache"

TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

AUTH_USER_MODEL = "accounts.User"
# Argon2id at OWASP's cost (decision 0093); hashes at Django's default cost still verify and are
# rewritten at this one on the next login.
PASSWORD_HASHERS = [
    "cloudmentor.accounts.hashers.OwaspArgon2idHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["cloudmentor.accounts.backends.UsernameOrEmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
# Password reset links live 1 hour (CK-6).
PASSWORD_RESET_TIMEOUT = 3600

# Accounts (docs/accounts.md). Sessions without an account end date live this long.
ACCOUNTS_SESSION_CAP_DAYS = env.int("ACCOUNTS_SESSION_CAP_DAYS", default=30)
ACCOUNTS_MAX_SESSIONS = env.int("ACCOUNTS_MAX_SESSIONS", default=3)
ACCOUNTS_SHARING_MAX_DEVICES_PER_DAY = env.int("ACCOUNTS_SHARING_MAX_DEVICES_PER_DAY", default=4)
ACCOUNTS_SHARING_MAX_NETWORKS_PER_DAY = env.int("ACCOUNTS_SHARING_MAX_NETWORKS_PER_DAY", default=4)
ACCOUNTS_SESSION_TOUCH_SECONDS = 300
ACCOUNTS_EMAIL_CHANGE_SECONDS = 24 * 3600
ACCOUNTS_GROUP_INVITATION_DAYS = env.int("ACCOUNTS_GROUP_INVITATION_DAYS", default=7)
# Days a « Ce n'était pas moi » link of a security email stays valid (TR-4, docs/accounts.md).
ACCOUNTS_SECURITY_LINK_DAYS = env.int("ACCOUNTS_SECURITY_LINK_DAYS", default=7)
# Days an « Était-ce vous ? » record (address, link used or not) is kept, then deleted by the
# scheduler's security_notices_purge (TR-4, docs/accounts.md).
ACCOUNTS_SECURITY_NOTICE_RETENTION_DAYS = env.int("ACCOUNTS_SECURITY_NOTICE_RETENTION_DAYS", default=90)
# Records of staff opening a member's personal data (TR-2) are kept this many days, then
# deleted by the scheduler's staff_access_purge (decision 0104).
ACCOUNTS_STAFF_ACCESS_RETENTION_DAYS = env.int("ACCOUNTS_STAFF_ACCESS_RETENTION_DAYS", default=365)
ACCOUNTS_TERMS_LOOKUP = "cloudmentor.legal.selectors.policy_current"
# Throttling (TM-9, SC-2): N attempts at once, then N per window, counted in the database
# (core.throttle: one shared bucket per subject; decision 0091).
ACCOUNTS_LOGIN_MAX_PER_IP = env.int("ACCOUNTS_LOGIN_MAX_PER_IP", default=20)
ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP = env.int("ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP", default=5)
ACCOUNTS_LOGIN_WINDOW_SECONDS = env.int("ACCOUNTS_LOGIN_WINDOW_SECONDS", default=900)
ACCOUNTS_REGISTER_MAX_PER_IP = env.int("ACCOUNTS_REGISTER_MAX_PER_IP", default=10)
ACCOUNTS_REGISTER_WINDOW_SECONDS = env.int("ACCOUNTS_REGISTER_WINDOW_SECONDS", default=3600)
ACCOUNTS_RECOVERY_MAX_PER_IP = env.int("ACCOUNTS_RECOVERY_MAX_PER_IP", default=10)
ACCOUNTS_RECOVERY_MAX_PER_ACCOUNT = env.int("ACCOUNTS_RECOVERY_MAX_PER_ACCOUNT", default=3)
ACCOUNTS_RECOVERY_WINDOW_SECONDS = env.int("ACCOUNTS_RECOVERY_WINDOW_SECONDS", default=3600)
# Downloads of the personal data file per member and window (PV-9, TM-9).
ACCOUNTS_DATA_EXPORT_MAX_PER_WINDOW = env.int("ACCOUNTS_DATA_EXPORT_MAX_PER_WINDOW", default=5)
ACCOUNTS_DATA_EXPORT_WINDOW_SECONDS = env.int("ACCOUNTS_DATA_EXPORT_WINDOW_SECONDS", default=3600)
OTP_TOTP_ISSUER = "CloudMentor@Scale"

# Billing (docs/billing.md). Plan prices are what the member pays (VAT included).
BILLING_INVOICE_DELAY_DAYS = env.int("BILLING_INVOICE_DELAY_DAYS", default=3)
BILLING_PAYMENT_TERMS_DAYS = env.int("BILLING_PAYMENT_TERMS_DAYS", default=14)
BILLING_INVOICE_PREFIX = env.str("BILLING_INVOICE_PREFIX", default="CM")
BILLING_SELLER_NAME = env.str("BILLING_SELLER_NAME", default="CloudMentor@Scale")
BILLING_SELLER_ADDRESS = env.str("BILLING_SELLER_ADDRESS", default="")
BILLING_SELLER_SIRET = env.str("BILLING_SELLER_SIRET", default="")
BILLING_SELLER_VAT_NUMBER = env.str("BILLING_SELLER_VAT_NUMBER", default="")
BILLING_SELLER_EMAIL = env.str("BILLING_SELLER_EMAIL", default=SUPPORT_EMAIL)
# On a development machine, clearly fake bank details, so that the transfer path shows (BZ-1).
_DEVELOPMENT = ENVIRONMENT == "development"
BILLING_IBAN = env.str("BILLING_IBAN", default="FR76 0000 0000 0000 DEMO 0000 000" if _DEVELOPMENT else "")
BILLING_BIC = env.str("BILLING_BIC", default="DEMOFRPPXXX" if _DEVELOPMENT else "")
# Card payments: "stripe", "demo" (never in production: system check billing.E101), or empty for
# automatic (Stripe when STRIPE_SECRET_KEY is set, else the demo provider in development). Decision 0130.
BILLING_PAYMENT_PROVIDER = env.str("BILLING_PAYMENT_PROVIDER", default="")
# 0 means VAT-exempt (franchise en base): the invoices carry BILLING_VAT_EXEMPTION_MENTION.
BILLING_VAT_RATE = env.str("BILLING_VAT_RATE", default="0")
BILLING_VAT_EXEMPTION_MENTION = env.str(
    "BILLING_VAT_EXEMPTION_MENTION", default="TVA non applicable, art. 293 B du CGI"
)
BILLING_RUN_BATCH_SIZE = env.int("BILLING_RUN_BATCH_SIZE", default=200)
# The staff home (BZ-5): a page recomputes the kept figures when they are older than this; the
# scheduler recomputes them every minute (decision 0134).
BACKOFFICE_FIGURES_MAX_AGE_SECONDS = env.int("BACKOFFICE_FIGURES_MAX_AGE_SECONDS", default=120)
# Card payments through Stripe Checkout, offered when a secret key is set.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
BILLING_STRIPE_API_BASE = env.str("BILLING_STRIPE_API_BASE", default="https://api.stripe.com")
BILLING_STRIPE_CHECKOUT_ORIGIN = env.str("BILLING_STRIPE_CHECKOUT_ORIGIN", default="https://checkout.stripe.com")
# What each access level opens (TM-3), shown on /plans/: read from the catalog (learning).
# Donations (TM-10, docs/donations.md): amounts in DONATIONS_CURRENCY, receipts DON-2027-000042,
# pending checkouts abandoned after DONATIONS_ABANDON_AFTER_HOURS, forms per IP and window.
DONATIONS_MIN = env.str("DONATIONS_MIN", default="2")
DONATIONS_MAX = env.str("DONATIONS_MAX", default="1000")
DONATIONS_CURRENCY = env.str("DONATIONS_CURRENCY", default="EUR")
# Credit notes (avoirs) cancelling voided issued invoices: their own gapless series (BZ-3).
BILLING_CREDIT_NOTE_PREFIX = env.str("BILLING_CREDIT_NOTE_PREFIX", default="CM-AV")
# Reminders before a validity end, offering the extension: days before the end, comma-separated (BZ-4).
BILLING_REMINDER_DAYS = env.list("BILLING_REMINDER_DAYS", cast=int, default=[14, 3])
# The billing run disables no one during a maintenance window nor this many hours after its end:
# members could not log in to pay meanwhile (BZ-4, docs/billing.md).
BILLING_MAINTENANCE_GRACE_HOURS = env.int("BILLING_MAINTENANCE_GRACE_HOURS", default=24)
DONATIONS_RECEIPT_PREFIX = env.str("DONATIONS_RECEIPT_PREFIX", default="DON")
# Empty: receipts say they are not tax receipts. Set it (e.g. the article of the CGI) only if
# the seller is eligible to issue tax receipts; it is then printed on every receipt.
DONATIONS_TAX_RECEIPT_MENTION = env.str("DONATIONS_TAX_RECEIPT_MENTION", default="")
DONATIONS_ABANDON_AFTER_HOURS = env.int("DONATIONS_ABANDON_AFTER_HOURS", default=24)
DONATIONS_MAX_PER_IP = env.int("DONATIONS_MAX_PER_IP", default=20)
DONATIONS_WINDOW_SECONDS = env.int("DONATIONS_WINDOW_SECONDS", default=3600)
BILLING_PLAN_MATERIAL_LOOKUP = "cloudmentor.learning.selectors.material_summary"
# Single sign-on (ID-1, docs/sso.md): a sign-in at a company's provider must come back within
# SSO_SIGN_IN_SECONDS; calls to the provider wait SSO_HTTP_TIMEOUT_SECONDS; ID token times
# allow SSO_CLOCK_SKEW_SECONDS of clock skew; starts per IP and window are throttled. Issuers
# must be https:// unless SSO_ALLOW_HTTP_ISSUERS (never in production: a local test provider).
SSO_SIGN_IN_SECONDS = env.int("SSO_SIGN_IN_SECONDS", default=600)
SSO_HTTP_TIMEOUT_SECONDS = env.float("SSO_HTTP_TIMEOUT_SECONDS", default=5.0)
SSO_CLOCK_SKEW_SECONDS = env.int("SSO_CLOCK_SKEW_SECONDS", default=60)
SSO_START_MAX_PER_IP = env.int("SSO_START_MAX_PER_IP", default=30)
SSO_START_WINDOW_SECONDS = env.int("SSO_START_WINDOW_SECONDS", default=900)
SSO_ALLOW_HTTP_ISSUERS = env.bool("SSO_ALLOW_HTTP_ISSUERS", default=not PRODUCTION)

# Policies (docs/legal.md): the home page's banner of a new version lasts this many days;
# members are emailed about it this many at a time (one transaction per batch).
LEGAL_PUBLICATION_BANNER_DAYS = env.int("LEGAL_PUBLICATION_BANNER_DAYS", default=30)
LEGAL_NOTIFY_BATCH_SIZE = env.int("LEGAL_NOTIFY_BATCH_SIZE", default=200)

# Sessions: stored server-side; the cookie is named in the cookie registry and sealed
# by the encryption middleware. The CSRF token lives in the session, never in a cookie.
SESSION_ENGINE = "cloudmentor.accounts.sessions"
# `__Host-` in production (TR-7, decision 0105): the browser keeps the cookie only if it is
# Secure, Path=/ and without Domain, so no sibling host or plain-HTTP page can plant or
# overwrite it. Over plain HTTP (`make run`) browsers refuse the prefix: the plain name.
SESSION_COOKIE_NAME = "__Host-cm_account" if PRODUCTION else "cm_account"
SESSION_COOKIE_PATH = "/"
SESSION_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Fallback only: each session's expiry is set at login (accounts.services.session_expiry_for).
SESSION_COOKIE_AGE = ACCOUNTS_SESSION_CAP_DAYS * 24 * 3600
CSRF_USE_SESSIONS = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "cloudmentor.core.views.csrf_failure"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Lifetimes of the form cookies (CK-3, CK-5, CK-6), in seconds; the cookie policy page
# reads the same values.
FORM_COOKIE_LIFETIMES = {
    "login": 24 * 3600,
    "register": 3600,
    "recover": 3600,
    "reset": 3600,
    "contact": 3600,
    "newsletter": 3600,
    "donate": 3600,
}

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
# Each app keeps its own catalog in cloudmentor/<app>/locale/.
LOCALE_PATHS: list[Path] = []
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING or DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# Email: console by default. Production example (Gmail, STARTTLS):
# EMAIL_URL=smtp+tls://cloudmentor.scale@gmail.com:app-password@smtp.gmail.com:587
# In production the default is Gmail's SMTP with STARTTLS (PV-13); the account and its
# app password come from EMAIL_HOST_USER / EMAIL_HOST_PASSWORD or from EMAIL_URL itself.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp+tls://smtp.gmail.com:587" if PRODUCTION else "consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default=EMAIL_CONFIG.get("EMAIL_HOST_USER", ""))
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default=EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD", ""))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f'"CloudMentor@Scale" <{SUPPORT_EMAIL}>')
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Staff addresses alerted by the platform (unauthorized use, contact messages, ...).
STAFF_ALERT_EMAILS = env.list("STAFF_ALERT_EMAILS", default=[SUPPORT_EMAIL])
MAILING_MAX_ATTEMPTS = env.int("MAILING_MAX_ATTEMPTS", default=8)
# An email left "sending" by a worker that died mid-send is marked failed after this many
# minutes, never resent automatically (SC-4, docs/decisions/0092-processes-that-heal.md).
MAILING_SENDING_TIMEOUT_MINUTES = env.int("MAILING_SENDING_TIMEOUT_MINUTES", default=60)
# Days a sent email keeps its body (then only its metadata: address, template, subject,
# status, times); an email carrying a single-use link keeps none once sent (TR-3, decision 0102).
MAILING_BODY_RETENTION_DAYS = env.int("MAILING_BODY_RETENTION_DAYS", default=30)
# Newsletter (PV-4, docs/newsletter.md): addresses queued per task, days a public-form
# confirmation link stays valid, confirmation emails per address and requests per IP per hour.
NEWSLETTER_BATCH_SIZE = env.int("NEWSLETTER_BATCH_SIZE", default=200)
NEWSLETTER_CONFIRM_DAYS = env.int("NEWSLETTER_CONFIRM_DAYS", default=7)
NEWSLETTER_CONFIRM_MAX_PER_ADDRESS = env.int("NEWSLETTER_CONFIRM_MAX_PER_ADDRESS", default=3)
NEWSLETTER_REQUEST_MAX_PER_IP = env.int("NEWSLETTER_REQUEST_MAX_PER_IP", default=20)
# Contact form (PV-15, SC-2): messages per address and window (each one emails staff).
OPERATIONS_CONTACT_MAX_PER_IP = env.int("OPERATIONS_CONTACT_MAX_PER_IP", default=5)
OPERATIONS_CONTACT_WINDOW_SECONDS = env.int("OPERATIONS_CONTACT_WINDOW_SECONDS", default=3600)
# Error reports per member and window (TM-11, SC-2); catalog searches (full text) per address.
LEARNING_ERROR_REPORT_MAX_PER_MEMBER = env.int("LEARNING_ERROR_REPORT_MAX_PER_MEMBER", default=20)
LEARNING_ERROR_REPORT_WINDOW_SECONDS = env.int("LEARNING_ERROR_REPORT_WINDOW_SECONDS", default=3600)
LEARNING_SEARCH_MAX_PER_IP = env.int("LEARNING_SEARCH_MAX_PER_IP", default=60)
LEARNING_SEARCH_WINDOW_SECONDS = env.int("LEARNING_SEARCH_WINDOW_SECONDS", default=60)

# SCIM 2.0 provisioning per group (ID-2, docs/scim.md): requests per token and refused tokens per
# address, per window (core.throttle, exact across processes), and the largest page of a list.
SCIM_MAX_REQUESTS_PER_TOKEN = env.int("SCIM_MAX_REQUESTS_PER_TOKEN", default=600)
SCIM_MAX_AUTH_FAILURES_PER_IP = env.int("SCIM_MAX_AUTH_FAILURES_PER_IP", default=20)
SCIM_THROTTLE_WINDOW_SECONDS = env.int("SCIM_THROTTLE_WINDOW_SECONDS", default=60)
SCIM_PAGE_SIZE_MAX = env.int("SCIM_PAGE_SIZE_MAX", default=200)
# The private key (PEM, P-256/ES256) that signs the Open Badges 3.0 credentials (LX-2, decision
# 0121). Required in production; elsewhere, when empty, generated once into var/badge-signing-key.pem.
LEARNING_BADGE_SIGNING_KEY = env.str("LEARNING_BADGE_SIGNING_KEY", default="", multiline=True)
# After a rotation, the public JWKs (a JSON list) of the keys badges were signed with before:
# still published at /.well-known/jwks.json, so that every badge ever issued verifies.
LEARNING_BADGE_RETIRED_KEYS = env.json("LEARNING_BADGE_RETIRED_KEYS", default=[])
# Learning paths (LX-4): a member is reminded of a path assigned by their group this many days
# before its due date, comma-separated (each once per due date; job `learning_path_reminders`).
LEARNING_PATH_REMINDER_DAYS = env.list("LEARNING_PATH_REMINDER_DAYS", cast=int, default=[7, 1])

# Request log and statistics (PV-5, docs/analytics.md): one spool file per web process,
# ingested into the database by `analytics_ingest`; raw records are kept this many days.
ANALYTICS_ENABLED = env.bool("ANALYTICS_ENABLED", default=True)
ANALYTICS_SPOOL_DIR = Path(env.str("ANALYTICS_SPOOL_DIR", default=str(VAR_DIR / "spool")))
ANALYTICS_RAW_RETENTION_DAYS = env.int("ANALYTICS_RAW_RETENTION_DAYS", default=365)

# Maintenance windows (TM-5, docs/operations.md): the banner announces a window this many
# hours before its start.
OPERATIONS_MAINTENANCE_NOTICE_HOURS = env.int("OPERATIONS_MAINTENANCE_NOTICE_HOURS", default=72)

# Periodic jobs run by `manage.py scheduler`: management command and interval (seconds).
SCHEDULER_JOBS: dict[str, dict[str, Any]] = {
    "mailing_retry": {"command": "mailing_retry", "every": 60},
    # Email bodies past MAILING_BODY_RETENTION_DAYS are dropped, metadata kept (TR-3); idempotent.
    "mailing_purge": {"command": "mailing_purge", "every": 3600},
    # Tasks left RUNNING by a worker that died go back to the queue (SC-4); idempotent.
    "tasks_recover": {"command": "tasks_recover", "every": 30},
    "prune_task_results": {"command": "prune_db_task_results", "every": 24 * 3600, "options": {"min_age_days": 7}},
    "analytics_ingest": {"command": "analytics_ingest", "every": 10},
    "analytics_rollup": {"command": "analytics_rollup", "every": 300},
    "analytics_purge": {"command": "analytics_purge", "every": 3600},
    "billing_run": {"command": "billing_run", "every": 3600},
    # The staff home's figures over the big tables, kept in one row (BZ-5, decision 0134); idempotent.
    "backoffice_refresh": {"command": "backoffice_refresh", "every": 60},
    # Reminders before validity ends (BZ-4): each once per period end and day count; idempotent.
    "billing_reminders": {"command": "billing_reminders", "every": 3600},
    # Reminders before a learning path's due date (LX-4): each once per due date and day count; idempotent.
    "learning_path_reminders": {"command": "learning_path_reminders", "every": 3600},
    # Donations whose checkout was left unpaid for a day (TM-10); idempotent.
    "donations_abandon": {"command": "donations_abandon", "every": 3600},
    # Emails about a new policy version: resumes what the publication's task left (TM-1).
    "legal_notify": {"command": "legal_notify", "every": 60},
    # Resumes a newsletter send whose chain of batches stopped (worker crash); idempotent.
    "newsletter_send": {"command": "newsletter_send", "every": 300},
    # Expired account sessions (AccountSession rows), Django's own command.
    "clear_sessions": {"command": "clearsessions", "every": 24 * 3600},
    # Throttle buckets empty again and spent form-cookie ids past their expiry (SC-2, SC-3); idempotent.
    "core_purge": {"command": "core_purge", "every": 3600},
    # A checked copy of the database, expired copies deleted (TR-5, docs/deployment.md "Backups and recovery").
    "backup": {"command": "backup", "every": 24 * 3600},
    # « Était-ce vous ? » records past ACCOUNTS_SECURITY_NOTICE_RETENTION_DAYS (TR-4); idempotent.
    "security_notices_purge": {"command": "security_notices_purge", "every": 24 * 3600},
    # Records of staff accesses to members' data past ACCOUNTS_STAFF_ACCESS_RETENTION_DAYS (TR-2); idempotent.
    "staff_access_purge": {"command": "staff_access_purge", "every": 24 * 3600},
}
SCHEDULER_TICK_SECONDS = env.int("SCHEDULER_TICK_SECONDS", default=5)
# Task recovery (SC-4, operations/workers.py): a RUNNING task whose worker is on another
# machine is taken back after this many minutes; after this many dead workers it is failed.
OPERATIONS_TASK_LEASE_MINUTES = env.int("OPERATIONS_TASK_LEASE_MINUTES", default=60)
OPERATIONS_TASK_MAX_RUNS = env.int("OPERATIONS_TASK_MAX_RUNS", default=3)
# Backups (TR-5, operations/backups.py): where `manage.py backup` writes, how many days of
# backups it keeps, and the Fernet keys that encrypt them (environment only; the first
# encrypts, all decrypt: add a new key first to rotate). No key: backups are not encrypted.
OPERATIONS_BACKUP_DIR = Path(env.str("OPERATIONS_BACKUP_DIR", default=str(VAR_DIR / "backups")))
OPERATIONS_BACKUP_RETENTION_DAYS = env.int("OPERATIONS_BACKUP_RETENTION_DAYS", default=30)
OPERATIONS_BACKUP_ENCRYPTION_KEY = env.list("OPERATIONS_BACKUP_ENCRYPTION_KEY", default=[])
# /healthz says « degraded » (still 200) when the newest backup is older than this many hours,
# or there is none; 0 leaves backups out of /healthz (docs/operations.md).
OPERATIONS_BACKUP_MAX_AGE_HOURS = env.int("OPERATIONS_BACKUP_MAX_AGE_HOURS", default=26)

# Security headers.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
COOKIES_SECURE = PRODUCTION
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")


def _not_routine(record: Any) -> bool:
    """Keep off the console the lines a long-lived process writes every few seconds.

    The task worker's "Task ... state=SUCCESSFUL" and the scheduler's job output (DEBUG):
    `make run`'s console shows the address, the emails, warnings and errors (SC-4 brief).
    """
    return record.levelno >= 30 or not record.name.startswith(("django_tasks", "cloudmentor.operations.scheduler"))


# Outside production and tests, every line (DEBUG for our loggers) also goes to var/log/cloudmentor.log.
_LOG_FILE = None if PRODUCTION or TESTING else VAR_DIR / "log" / "cloudmentor.log"
if _LOG_FILE is not None:
    _LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "not_routine": {"()": "django.utils.log.CallbackFilter", "callback": _not_routine},
        # No live link in the log: token segments of every path are replaced (TR-3, core/logging.py).
        "redact_secrets": {"()": "cloudmentor.core.logging.RedactSecrets"},
    },
    "formatters": {"file": {"format": "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        # In production every line goes to the journal; on `make run`'s console, not the routine ones.
        "console": {
            "class": "logging.StreamHandler",
            "level": LOG_LEVEL,
            "filters": ["redact_secrets"] if PRODUCTION else ["redact_secrets", "not_routine"],
        },
        "file": (
            {
                "class": "logging.handlers.RotatingFileHandler",
                "filename": str(_LOG_FILE),
                "maxBytes": 5_000_000,
                "backupCount": 2,
                "delay": True,
                "formatter": "file",
                "filters": ["redact_secrets"],
            }
            if _LOG_FILE is not None
            else {"class": "logging.NullHandler"}
        ),
    },
    "root": {"handlers": ["console", "file"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers (DEFAULT_LOGGING: a DEBUG console, the server's request lines,
        # mail to ADMINS) would write before the redaction: theirs go through the root's (TR-3).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "cloudmentor": {"level": "DEBUG" if _LOG_FILE is not None else LOG_LEVEL},
    },
}
