"""One settings module for every deployment; everything variable comes from the environment.

Defaults give the embedded set-up (SQLite under ./var, huey on SQLite); setting
DATABASE_URL, REDIS_URL and MQTT_URL switches to the production parts.
"""

import socket
from pathlib import Path

import dj_database_url

from shuxiang.conf import (
    env_bool,
    env_int,
    env_list,
    env_optional_secret,
    env_secret,
    env_str,
    media_storage,
    metrics_dir,
)

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("SHUXIANG_VAR_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("SHUXIANG_DEBUG", False)
TESTING = env_bool("SHUXIANG_TESTING", False)
SECRET_KEY = env_secret("SHUXIANG_SECRET_KEY", VAR_DIR)
FIELD_KEY = env_secret("SHUXIANG_FIELD_KEY", VAR_DIR)
# Lookup digests (ID numbers, device tokens) keep their own key so that rotating the field key (comma list,
# `shuxiang keys rotate`) leaves every digest valid: by default the oldest field key (the list's last).
DIGEST_KEY = env_optional_secret("SHUXIANG_DIGEST_KEY") or FIELD_KEY.split(",")[-1].strip()
# Signs the ledger's checkpoints (Ed25519, derived from this secret or a PEM private key; see docs/ledger.md).
LEDGER_SIGNING_KEY = env_secret("SHUXIANG_LEDGER_SIGNING_KEY", VAR_DIR)
# Counterfeit clues from scans, e.g. "min_clients=3,min_places=2,far_km=300,window_hours=24" (docs/trace.md).
TRACE_COUNTERFEIT = env_str("SHUXIANG_TRACE_COUNTERFEIT", "")
# Text messages (one-time codes to a member's phone, docs/land.md): an HTTP gateway, or "" = the outbox
# (stored, shown to the village's cadres to pass on).
SMS_URL = env_str("SHUXIANG_SMS_URL", "")
SMS_TOKEN = env_optional_secret("SHUXIANG_SMS_TOKEN")

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
    "shuxiang.machinery",
    "shuxiang.ecology",
    "shuxiang.livestock",
    "shuxiang.housing",
    "shuxiang.governance",
    "shuxiang.markets",
    "shuxiang.farmland",
    "shuxiang.land",
    "shuxiang.villager",
    "shuxiang.demo",
]

MIDDLEWARE = [
    "shuxiang.core.middleware.TransportSecurityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "shuxiang.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shuxiang.core.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "shuxiang.core.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "shuxiang.core.middleware.RequestContextMiddleware",
    "shuxiang.core.access.AccessMiddleware",
    "shuxiang.core.middleware.IdempotencyMiddleware",
    "shuxiang.core.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
    "shuxiang.core.two_factor_middleware.SecondFactorMiddleware",
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
# Connections are kept between requests (a new SQLite connection with its pragmas cost ~20 % of a
# short API answer under load; PostgreSQL's handshake more); checked before reuse. Tests open their own.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("SHUXIANG_CONN_MAX_AGE", 0 if TESTING else 60),
        conn_health_checks=True,
    )
}
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
            "BACKEND": "shuxiang.core.cachefile.FileCache",
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
    "shuxiang.core.backends.ModelBackend",  # Django's, the user read with its place (core/backends.py)
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
# The age counts from the last request (an idle timeout), to within SESSION_RENEW_SECONDS: a session in
# use is saved again when its last save is that old (core.middleware.SessionMiddleware), not on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_SECONDS = env_int("SHUXIANG_SESSION_RENEW_SECONDS", 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A session ends this many hours after sign-in however active it is (core.middleware.SessionLifetimeMiddleware).
SESSION_MAX_HOURS = env_int("SHUXIANG_SESSION_MAX_HOURS", 12)
# Cookies get the Secure flag on every HTTPS request (core.middleware.TransportSecurityMiddleware);
# this forces it on plain HTTP too, for set-ups whose HTTPS the server cannot see.
SECURE_COOKIES = env_bool("SHUXIANG_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES

# --- HTTPS and proxies (docs/security.md) ----------------------------------------
# Our own reverse proxies (addresses or CIDR blocks). Only from these are X-Forwarded-For (the
# client's address in the audit log and for lockouts) and X-Forwarded-Proto (HTTPS) believed.
TRUSTED_PROXIES = env_list("SHUXIANG_TRUSTED_PROXIES")
if TRUSTED_PROXIES:
    # Safe only because TransportSecurityMiddleware drops the header from anyone else.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The site is served over HTTPS (by this process or by a trusted proxy): send HSTS on HTTPS answers.
TLS = env_bool("SHUXIANG_TLS", False)
SECURE_HSTS_SECONDS = env_int("SHUXIANG_HSTS_SECONDS", 365 * 24 * 3600) if TLS or TRUSTED_PROXIES else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SHUXIANG_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

AXES_FAILURE_LIMIT = env_int("SHUXIANG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("SHUXIANG_LOCKOUT_MINUTES", 30) / 60
# Lock the account, not the address: a whole township often shares one NAT address.
AXES_LOCKOUT_PARAMETERS = ["username"]
# The same client address as the audit log (X-Forwarded-For only from SHUXIANG_TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "shuxiang.core.middleware.client_ip"
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False
# Two-factor sign-in (core.two_factor): roles that must use an authenticator app; others may.
# "none" requires it of nobody (not recommended: GB/T 22239 level 3 asks it of administrators).
TWO_FACTOR_REQUIRED_ROLES = [
    r for r in env_list("SHUXIANG_2FA_REQUIRED_ROLES", ("admin", "district")) if r != "none"
]
# A mistyped second-factor code is kept out of axes' failure log like a password (axes' defaults kept).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

# --- i18n ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
# One date and time format on every page (core/formats_zh; core.formats writes the same).
FORMAT_MODULE_PATH = ["shuxiang.core.formats_zh"]
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
# Uploaded files in an S3-compatible bucket (MinIO, Ceph, a cloud's object storage) instead of MEDIA_ROOT:
# every web node and worker then sees the same files without a shared disk (docs/operations.md). Files are
# still served only through our views (permission-checked), never by a public bucket URL.
S3_BUCKET = env_str("SHUXIANG_S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"] = media_storage()
WHITENOISE_USE_FINDERS = True  # serve straight from the package when collectstatic has not run
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "shuxiang.core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every API route declares its permission (core.access); undeclared ones are refused.
    "DEFAULT_PERMISSION_CLASSES": ["shuxiang.core.access.DeclaredPermission"],
    "DEFAULT_PARSER_CLASSES": [
        "shuxiang.core.jsonbody.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "shuxiang.core.jsonbody.StrictMultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "shuxiang.core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["shuxiang.core.api.filters.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "shuxiang.core.api.schema.AutoSchema",
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
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "shuxiang.core.api.schema.geojson_responses",
    ],
    # One name per choice set used by several fields (drf-spectacular would otherwise hash a name).
    "ENUM_NAME_OVERRIDES": {
        "PlaceLevelEnum": "shuxiang.core.choices.PlaceLevel",
        "PlaceKindEnum": "shuxiang.core.choices.PlaceKind",
        "ProducerKindEnum": "shuxiang.trace.choices.ProducerKind",
        "LandParcelKindEnum": "shuxiang.land.choices.ParcelKind",
        "LandBidModeEnum": "shuxiang.land.choices.BidMode",
        "LandTransferModeEnum": "shuxiang.land.choices.TransferMode",
        "CaseStateEnum": "shuxiang.cases.choices.CaseState",
        "CaseChannelEnum": "shuxiang.cases.choices.Channel",
        "MachineKindEnum": "shuxiang.machinery.choices.MachineKind",
        "OperationKindEnum": "shuxiang.machinery.choices.OperationKind",
        "RoadGradeEnum": "shuxiang.machinery.choices.RoadGrade",
        "HouseGradeEnum": "shuxiang.housing.choices.Grade",
        "GrainGradeEnum": "shuxiang.markets.choices.GrainGrade",
        "InsuranceKindEnum": "shuxiang.markets.choices.InsuranceKind",
        "DisputeKindEnum": "shuxiang.governance.choices.DISPUTE_KINDS",
        "PartyMeetingKindEnum": "shuxiang.governance.choices.MEETING_KINDS",
        "PartyBranchKindEnum": "shuxiang.governance.choices.BRANCH_KINDS",
        "PartyMemberStatusEnum": "shuxiang.governance.choices.MEMBER_STATUSES",
        "ConsultationModeEnum": "shuxiang.governance.choices.CONSULTATION_MODES",
        "FarmlandKindEnum": "shuxiang.farmland.choices.Kind",
        "PostingKindEnum": "shuxiang.villager.choices.PostingKind",
        "PostingCategoryEnum": "shuxiang.villager.choices.Category",
        "EmploymentStatusEnum": "shuxiang.villager.choices.EmploymentStatus",
        "EmploymentSectorEnum": "shuxiang.villager.choices.Sector",
        "EmploymentSourceEnum": "shuxiang.villager.choices.RecordSource",
        "HeritageKindEnum": "shuxiang.villager.choices.HeritageKind",
        "HeritageCategoryEnum": "shuxiang.villager.choices.HeritageCategory",
        "VisitSourceEnum": "shuxiang.villager.choices.CountSource",
    },
}

# --- platform ----------------------------------------------------------------------
AUDIT_RETENTION_DAYS = env_int("SHUXIANG_AUDIT_RETENTION_DAYS", 365)
# Reveals of full ID numbers and phones per user (core.ratelimit), e.g. "10/minute".
REVEAL_RATE = env_str("SHUXIANG_REVEAL_RATE", "10/minute")
# A resident's tracking page, per address (a number is short enough to guess at scale).
TRACKING_RATE = env_str("SHUXIANG_TRACKING_RATE", "30/minute")
COUNTY_CODE = env_str("SHUXIANG_COUNTY_CODE", "430903")
# A bare view at /__bench__/bare for baselines measured in the same run as a benchmark.
BENCH_VIEWS = env_bool("SHUXIANG_BENCH_VIEWS", False)
# An optional base map under the boundaries (docs/maps.md): off unless a county sets one source —
# its own XYZ tile server, or 天地图 with a browser key ("w" web-mercator or "c" CGCS2000 matrix).
TILE_URL = env_str("SHUXIANG_TILE_URL", "")
TIANDITU_KEY = env_str("SHUXIANG_TIANDITU_KEY", "")
TIANDITU_MATRIX = env_str("SHUXIANG_TIANDITU_MATRIX", "w")
TIANDITU_LAYER = env_str("SHUXIANG_TIANDITU_LAYER", "vec")

# --- operations (docs/operations.md) ------------------------------------------------
# This node's name in heartbeats, logs and metrics; several machines each set their own.
NODE = env_str("SHUXIANG_NODE", "") or socket.gethostname()
# /metrics: a bearer token, or addresses allowed without one; neither set = nobody.
METRICS_TOKEN = env_optional_secret("SHUXIANG_METRICS_TOKEN")
METRICS_ALLOW = env_list("SHUXIANG_METRICS_ALLOW")
BACKUP_DIR = Path(env_str("SHUXIANG_BACKUP_DIR", str(VAR_DIR / "backups")))
BACKUP_KEEP = env_int("SHUXIANG_BACKUP_KEEP", 0)
BACKUP_HOUR = env_int("SHUXIANG_BACKUP_HOUR", 2)
LOG_FORMAT = env_str("SHUXIANG_LOG_FORMAT", "text")
metrics_dir(VAR_DIR, TESTING)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "shuxiang.core.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("SHUXIANG_LOG_LEVEL", "INFO")},
    # huey adds a handler of its own to a "huey" logger that has none, and the root prints it again:
    # one handler here, not propagated, keeps every worker line once.
    "loggers": {"axes": {"level": "WARNING"}, "huey": {"handlers": ["console"], "propagate": False}},
}
