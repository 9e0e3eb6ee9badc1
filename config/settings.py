"""Settings for every environment, read from the environment (12-factor).

The defaults are the embedded laptop setup: SQLite under ``var/``, media on the local disk, DEBUG on.
Production, CI and tests set the variables listed in ``.env.example``.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default="insecure-development-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "pages",
    "papers",
    "catalog",
    "generation",
    "benchmarks",
    "releases",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.input_guard.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: answers a locked-out client
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'atlas.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the embedded worker write job progress while the web server reads.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed sign-ins (config/login_limits.py): after this many from one client address, it is locked out for
# the cool-off; wrong API tokens are counted the same way.
AUTHENTICATION_BACKENDS = [
    "config.login_limits.LoginLimitBackend",  # django-axes' lock-out check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_COOLOFF_MINUTES", default=15.0))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.client_address.client_ip"
AXES_LOCKOUT_CALLABLE = "config.login_limits.lockout_response"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Whitenoise reads DEBUG when its middleware starts, and the test runner turns DEBUG off by then: fix the
# choice here instead. With DEBUG on (laptop, tests) files come from the finders and edits show at once;
# nothing is collected, so STATIC_ROOT is not scanned (a missing one only earned a warning). With DEBUG
# off (production) whitenoise serves what `collectstatic` wrote to STATIC_ROOT, compressed and hashed.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {
        "BACKEND": env.str("DJANGO_DEFAULT_STORAGE", default="django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads: a .bib import larger than this is refused with a clear error (413 in the API).
BIBTEX_MAX_BYTES = env.int("BIBTEX_MAX_BYTES", default=2 * 1024 * 1024)
RELEASES_DIR = env.path("RELEASES_DIR", default=str(BASE_DIR / "data" / "releases"))  # /data/ lists these
DATA_UPLOAD_MAX_MEMORY_SIZE = BIBTEX_MAX_BYTES + 64 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = BIBTEX_MAX_BYTES + 64 * 1024

# Security. The production values come from the environment; see .env.example.
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("DJANGO_BEHIND_PROXY", False) else None
)
# Proxies (addresses or networks) whose X-Forwarded-For is believed; none by default: the peer's address
# is the client's (throttles, the active-jobs cap and the login lock-out count clients by it).
TRUSTED_PROXIES = env.list("DJANGO_TRUSTED_PROXIES", default=[])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

# Cache: rendered page and API content (keyed by the content version) and the throttles' counters.
# The default lives in each process's memory; with several processes (gunicorn workers, many machines) set
# DJANGO_CACHE_URL=redis://127.0.0.1:6379/1 so that they share copies and throttles count per client.
CACHES = {"default": env.cache_url("DJANGO_CACHE_URL", default="locmemcache://atlas")}
# The apps whose every table bumps that content version (pages/cache.py puts a trigger on each after every
# migrate): whatever the cached pages and API answers read. One not installed yet is skipped.
CONTENT_APPS = ["papers", "catalog", "benchmarks"]

# Celery. With no broker configured the embedded default uses a SQLAlchemy transport on a SQLite file, which
# needs no server (see README: it does not guarantee delivery across a crash; the reaper covers that).
# An empty value (as in a .env copied from .env.example) means the default too.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues: CPU workers consume the first, one worker per GPU the second.
CELERY_CPU_QUEUE = env.str("CELERY_CPU_QUEUE", default="cpu")
CELERY_GPU_QUEUE = env.str("CELERY_GPU_QUEUE", default="gpu")
CELERY_TASK_DEFAULT_QUEUE = CELERY_CPU_QUEUE

# Live generation. Code reads these from django.conf.settings when it needs them (never a copy made at
# import), so a test's or a benchmark's override holds; workers read the environment when they start.
# Demo slugs, family slugs or "*" whose jobs go to the GPU queue.
GENERATION_GPU_DEMOS = env.list("GENERATION_GPU_DEMOS", default=[])
# This worker's device: "auto" picks cuda when a GPU is visible.
GENERATION_DEVICE = env.str("GENERATION_DEVICE", default="auto")
# Torch threads per worker process; 0: the usable cores less one (left to the web server), divided by the
# worker's concurrency.
GENERATION_TORCH_THREADS = env.int("GENERATION_TORCH_THREADS", default=0)
# A job whose worker died this many times is failed, not sent again.
GENERATION_MAX_ATTEMPTS = env.int("GENERATION_MAX_ATTEMPTS", default=3)
# The running worker writes a heartbeat this often (s); the reaper re-queues a job silent for the timeout.
GENERATION_HEARTBEAT_SECONDS = env.float("GENERATION_HEARTBEAT_SECONDS", default=2.0)
GENERATION_HEARTBEAT_TIMEOUT = env.float("GENERATION_HEARTBEAT_TIMEOUT", default=30.0)
# A queued job nobody picked up for this long (s) is sent again (a lost message; duplicates are harmless).
GENERATION_REQUEUE_QUEUED_AFTER = env.float("GENERATION_REQUEUE_QUEUED_AFTER", default=600.0)
# Progress is written to the job row at most this often (s), plus the last step.
GENERATION_PROGRESS_INTERVAL = env.float("GENERATION_PROGRESS_INTERVAL", default=0.25)
# Celery soft and hard time limits of one job (s), sent with each job's task.
GENERATION_SOFT_TIME_LIMIT = env.int("GENERATION_SOFT_TIME_LIMIT", default=300)
GENERATION_HARD_TIME_LIMIT = env.int("GENERATION_HARD_TIME_LIMIT", default=330)
# Redis hands an unacknowledged message to another worker after this long (s): it must outlast the longest
# run (the hard limit), or a long job would run twice at once. RabbitMQ has no such timeout.
REDIS_VISIBILITY_TIMEOUT = env.int(
    "CELERY_VISIBILITY_TIMEOUT", default=max(3600, 2 * GENERATION_HARD_TIME_LIMIT)
)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "redis+socket://")):  # others refuse the option
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": REDIS_VISIBILITY_TIMEOUT}
# Abuse limits: active (queued or running) jobs per client, and queued jobs in all (429 above either).
GENERATION_MAX_ACTIVE_PER_CLIENT = env.int("GENERATION_MAX_ACTIVE_PER_CLIENT", default=3)
GENERATION_MAX_QUEUED = env.int("GENERATION_MAX_QUEUED", default=100)
# Samples per request, if the site wants fewer than the zoo's own maximum (64); unset: the zoo's maximum.
GENERATION_MAX_SAMPLES = env.int("GENERATION_MAX_SAMPLES", default=None)
# DRF-style rates of job creation, for anonymous clients and signed-in users.
GENERATION_RATE_ANON = env.str("GENERATION_RATE_ANON", default="30/hour")
GENERATION_RATE_USER = env.str("GENERATION_RATE_USER", default="120/hour")
# The reaper runs this often (s) wherever Celery beat runs (embedded: inside the worker).
GENERATION_REAPER_INTERVAL = env.float("GENERATION_REAPER_INTERVAL", default=15.0)

# REST API (/api/). Anonymous clients read only, throttled; authenticated clients get the higher rate.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes an anonymous write a 401, not a 403.
        "config.login_limits.TokenAuthentication",  # DRF's, with a limit on wrong tokens per address
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.api_policy.IsStaffOrReadOnly"],
    "DEFAULT_THROTTLE_CLASSES": ["config.api_policy.AnonThrottle", "config.api_policy.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/minute"),
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "config.input_guard.JSONParser",  # DRF's, refusing NUL characters and deep nesting with a 400
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.api_policy.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "config.api_policy.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=50),
    "MAX_PAGE_SIZE": env.int("API_MAX_PAGE_SIZE", default=500),
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "config.api.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.api.ApiAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Generative Atlas API",
    "DESCRIPTION": (
        "Families of generative models, their taxonomy, concepts, domains, example models and papers. "
        "Read anonymously (throttled); staff write with a session or `Authorization: Token <key>`. "
        "Paper lists, paper details and family details also answer BibTeX, RIS and CSL-JSON by "
        "content negotiation."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    "ENUM_NAME_OVERRIDES": {
        "VenueKindEnum": "papers.models.Venue.Kind",
        "PaperLinkKindEnum": "papers.models.PaperLink.Kind",
        "ExampleModelKindEnum": "catalog.models.ExampleModel.Kind",
        "ResultRoleEnum": "benchmarks.models.Result.Role",
        "FamilyPaperRoleEnum": "catalog.models.FamilyPaper.Role",
        "ResultKindEnum": "benchmarks.models.Result.Kind",
    },
}
