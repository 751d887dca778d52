"""One settings module for every deployment; everything variable comes from the environment.

Defaults give the embedded set-up (SQLite under ./var, huey on SQLite); setting
DATABASE_URL, REDIS_URL and MQTT_URL switches to the production parts.
"""

from pathlib import Path

import dj_database_url

from shuxiang.conf import env_bool, env_int, env_secret, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("SHUXIANG_VAR_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("SHUXIANG_DEBUG", False)
TESTING = env_bool("SHUXIANG_TESTING", False)
SECRET_KEY = env_secret("SHUXIANG_SECRET_KEY", VAR_DIR)
FIELD_KEY = env_secret("SHUXIANG_FIELD_KEY", VAR_DIR)

HOST = env_str("SHUXIANG_HOST", "127.0.0.1")
PORT = env_int("SHUXIANG_PORT", 8000)
ALLOWED_HOSTS = [h for h in env_str("SHUXIANG_ALLOWED_HOSTS", f"127.0.0.1,localhost,{HOST}").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("SHUXIANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# The public base URL is printed into QR codes, Atom feeds and CAP messages.
PUBLIC_URL = env_str("SHUXIANG_PUBLIC_URL", f"http://{HOST}:{PORT}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "huey.contrib.djhuey",
    "shuxiang.core",
    "shuxiang.warnings",
    "shuxiang.iot",
    "shuxiang.water",
    "shuxiang.cases",
    "shuxiang.monitoring",
    "shuxiang.indicators",
    "shuxiang.plan",
    "shuxiang.ledger",
    "shuxiang.trace",
    "shuxiang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shuxiang.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "shuxiang.core.middleware.RequestContextMiddleware",
    "shuxiang.core.middleware.IdempotencyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shuxiang.urls"
WSGI_APPLICATION = "shuxiang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shuxiang.core.context_processors.navigation",
            ],
        },
    }
]

# --- database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'shuxiang.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("SHUXIANG_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the
    # busy timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- background work ------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
MQTT_URL = env_str("MQTT_URL", "")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("SHUXIANG_HUEY_NAME", "shuxiang"),
        "url": REDIS_URL,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "shuxiang",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
    }
# The cache holds rate-limit counters and small lookups; it must be shared by every server process.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("SHUXIANG_CACHE_PREFIX", "shuxiang"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
if TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
HUEY["consumer"] = {"workers": env_int("SHUXIANG_WORKERS", 2), "worker_type": "thread"}
if TESTING:
    HUEY["immediate"] = True

# --- authentication and sessions ----------------------------------------------
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests create hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "shuxiang.core.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SHUXIANG_IDLE_TIMEOUT_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: an idle timeout
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("SHUXIANG_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

AXES_FAILURE_LIMIT = env_int("SHUXIANG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("SHUXIANG_LOCKOUT_MINUTES", 30) / 60
# Lock the account, not the address: a whole township often shares one NAT address.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False

# --- i18n ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from here once collectstatic ran
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = Path(env_str("SHUXIANG_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from the package when collectstatic has not run
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "shuxiang.core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "shuxiang.core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "shuxiang.core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon_submit": env_str("SHUXIANG_ANON_RATE", "20/hour")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "数乡 Shuxiang API",
    "DESCRIPTION": "数字乡村平台接口。认证：`Authorization: Token <key>`；地点一律以统计用区划代码引用。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- platform ----------------------------------------------------------------------
AUDIT_RETENTION_DAYS = env_int("SHUXIANG_AUDIT_RETENTION_DAYS", 365)
COUNTY_CODE = env_str("SHUXIANG_COUNTY_CODE", "430903")
# A bare view at /__bench__/bare for baselines measured in the same run as a benchmark.
BENCH_VIEWS = env_bool("SHUXIANG_BENCH_VIEWS", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("SHUXIANG_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
