"""Configuration classes, read from environment variables."""

from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
DEV_SECRET = "dev-only-secret-change-me"
DEV_SALT = "dev-only-salt-change-me"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_list(name: str, default: str = "") -> tuple[str, ...]:
    """A comma-separated variable as a tuple, without blanks."""
    return tuple(
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    )


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'surveyapp.db'}"
    # psycopg 3 is the driver; accept the common postgres:// spellings.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    # Unset: generated into INSTANCE_PATH on first run (mode 0600) and reused
    # after (instance_secrets.py); production refuses to start without its own.
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    # Salt for hashing client addresses, device cookies and phone numbers (PIPL).
    HASH_SALT = os.environ.get("HASH_SALT", "")
    INSTANCE_PATH = os.environ.get("INSTANCE_PATH", str(INSTANCE_DIR))
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Long locks (docs/operations.md, "Timeouts"): a statement waits at most
    # this long for a lock (SQLite's busy timeout, PostgreSQL's lock_timeout),
    # then the citizen gets the 503 page that keeps every answer; well under
    # gunicorn's 30 s worker timeout, which would kill the worker instead.
    DATABASE_LOCK_TIMEOUT_S = float(os.environ.get("DATABASE_LOCK_TIMEOUT_S", 10))
    # PostgreSQL's statement_timeout; 0: none. gunicorn.conf.py sets 15 s for
    # the web workers; commands (migrations, index runs, backups) may run longer.
    DATABASE_STATEMENT_TIMEOUT_S = float(
        os.environ.get("DATABASE_STATEMENT_TIMEOUT_S", 0)
    )
    # Every absolute link (QR codes, screens, password links) starts here; unset,
    # the local development address, never the request's Host header.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 64 * 1024)
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    WTF_CSRF_TIME_LIMIT = (
        None  # a citizen may take their time; the form token is signed
    )
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    # Rate limits (surveyapp/ratelimits.py; docs/operations.md "Rate limits").
    # Redis when several machines serve; the default is a SQLite file every
    # worker of this machine shares. A storage that fails never fails a
    # request: the limits count per process until it answers again.
    RATELIMIT_STORAGE_URI = os.environ.get(
        "RATELIMIT_STORAGE_URI", f"sqlite-file://{INSTANCE_DIR / 'ratelimits.sqlite3'}"
    )
    # Keeps this site's counters apart from another's in a shared Redis.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "surveyapp")
    RATELIMIT_ENABLED = True
    # Submissions (and screener steps) per client address.
    RATELIMIT_SUBMIT = os.environ.get("RATELIMIT_SUBMIT", "20/minute;200/hour")
    # Failed sign-ins per client address and per account name.
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10/minute;50/hour")
    RATELIMIT_LOGIN_ACCOUNT = os.environ.get(
        "RATELIMIT_LOGIN_ACCOUNT", "5/minute;20/hour"
    )
    # How many proxies in front of the app set X-Forwarded-For (nginx: 1).
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    # Free-text answers are capped (characters).
    FREE_TEXT_MAX = 2000
    # Device cookie lifetime (days).
    DEVICE_COOKIE_DAYS = 365
    # Survey firms (issue 5): largest frame/transactions upload (CSV or XLSX), bytes.
    FIRM_UPLOAD_MAX_BYTES = _env_int("FIRM_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
    # Issue 20: the organisation catalogue upload (bytes), and how long a
    # password link (a reset, or a new account's first password) stays valid.
    CATALOGUE_UPLOAD_MAX_BYTES = _env_int("CATALOGUE_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
    PASSWORD_LINK_MAX_AGE = _env_int("PASSWORD_LINK_MAX_AGE", 24 * 3600)
    # Uploaded tables (CSV/XLSX, docs/formats.md): data rows, columns and an
    # XLSX's unpacked size; a file past one of them is refused before it is read.
    TABLE_MAX_ROWS = _env_int("TABLE_MAX_ROWS", 50_000)
    TABLE_MAX_COLUMNS = _env_int("TABLE_MAX_COLUMNS", 64)
    TABLE_MAX_UNPACKED_BYTES = _env_int("TABLE_MAX_UNPACKED_BYTES", 25 * 1024 * 1024)
    # --- Operations (issue 7): request logs, metrics, backups, retention.
    # One JSON line per request on stderr (no personal data).
    LOG_REQUESTS = os.environ.get("LOG_REQUESTS", "1") not in ("0", "false")
    # Prometheus metrics at /metrics; keep it off the public internet (nginx
    # refuses it) and, if set, require `Authorization: Bearer <METRICS_TOKEN>`.
    METRICS_ENABLED = os.environ.get("METRICS_ENABLED", "1") not in ("0", "false")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    # Without a token /metrics answers 401, unless explicitly made public.
    METRICS_PUBLIC = os.environ.get("METRICS_PUBLIC", "0") in ("1", "true")
    # Where `flask backup create` writes when no --out is given.
    BACKUP_DIR = os.environ.get("BACKUP_DIR", str(INSTANCE_DIR / "backups"))
    # PIPL: personal fields of responses older than this are purged (days).
    RETENTION_DAYS = _env_int("RETENTION_DAYS", 180)
    # --- end operations

    # --- Satisfaction indices (issues 3 and 22; docs/indices.md, docs/methods.md) ----
    # A unit whose Kish effective sample size is below this is reported, not ranked.
    INDEX_MIN_N_EFF = float(os.environ.get("INDEX_MIN_N_EFF", 30))
    # Include responses the quality checks flagged (rejected ones never count).
    INDEX_INCLUDE_FLAGGED = os.environ.get("INDEX_INCLUDE_FLAGGED", "0") == "1"
    # Survey weights above this multiple of their hall's mean weight are trimmed
    # within the hall (0: never).
    INDEX_TRIM_UPPER = float(os.environ.get("INDEX_TRIM_UPPER", 5.0))
    # A response counts if it answered at least this share of the drivers; its
    # composite if those carry at least this share of the dimension weights.
    INDEX_MIN_DRIVER_SHARE = float(os.environ.get("INDEX_MIN_DRIVER_SHARE", 0.5))
    # Sampling units: "window_day" (a window's responses of one day form a
    # cluster) or "response" (every response independent).
    INDEX_CLUSTER = os.environ.get("INDEX_CLUSTER", "window_day")
    # Finite-population correction from the transaction volumes (env 1).
    INDEX_FPC = os.environ.get("INDEX_FPC", "0") == "1"
    # Confidence level of the intervals, and of the test that gives the bands.
    INDEX_LEVEL = float(os.environ.get("INDEX_LEVEL", 0.95))
    INDEX_BAND_LEVEL = float(os.environ.get("INDEX_BAND_LEVEL", 0.95))
    # Index -> performance points: "band" (significantly above / not different /
    # below the overall index), "rank" (bands of tied ranks: [(rank or share
    # cutoff, points), ...]) or "linear" (floor..ceiling -> 0..max).
    INDEX_POINTS = {
        "kind": os.environ.get("INDEX_POINTS_KIND", "band"),
        "band_points": {"above": 10.0, "same": 6.0, "below": 0.0},
        "floor": 60.0,
        "ceiling": 95.0,
        "max_points": 10.0,
        "bands": [[3, 10.0], [0.5, 6.0]],
        "default": 0.0,
    }
    # Dimension weights of the drivers for the "fixed" method ({key: weight});
    # empty: equal weights.
    INDEX_DIMENSION_WEIGHTS: dict = {}
    # Largest AHP consistency ratio accepted without an explicit override.
    INDEX_AHP_MAX_CR = 0.10
    # API pages: default and largest page size.
    API_PER_PAGE = 50
    API_MAX_PER_PAGE = 200

    # --- Quality checks (issue 4; README "Fraud and data-quality checks") -
    # Judge each response in its own request (cheap signals); the whole-period
    # signals come from `flask quality rescore`. The response is always stored.
    QUALITY_ON_SUBMIT = os.environ.get("QUALITY_ON_SUBMIT", "1") != "0"
    # Thresholds: each QUALITY_<FIELD> overrides QualitySettings.<field>
    # (surveyapp/analysis/quality_settings.py documents the research behind each default).
    # Speeder: under this share of the questionnaire's median time (a third).
    QUALITY_SPEEDER_RATIO = float(os.environ.get("QUALITY_SPEEDER_RATIO", 1 / 3))
    # "Fast" (a note that only escalates a straightline): RSI > 1.8.
    QUALITY_FAST_RATIO = float(os.environ.get("QUALITY_FAST_RATIO", 0.55))
    # Absolute floor for a 10-item form (scaled down for shorter ones), seconds.
    QUALITY_SPEEDER_FLOOR_S = float(os.environ.get("QUALITY_SPEEDER_FLOOR_S", 8.0))
    # Same device on the same window within 24 h: flagged, rejected from the 3rd.
    QUALITY_DEVICE_WINDOW_S = float(os.environ.get("QUALITY_DEVICE_WINDOW_S", 86400))
    # Burst: >= 6 responses in 5 minutes at one window, Poisson tail < 1e-4.
    QUALITY_BURST_MIN_COUNT = _env_int("QUALITY_BURST_MIN_COUNT", 6)
    QUALITY_BURST_ALPHA = float(os.environ.get("QUALITY_BURST_ALPHA", 1e-4))
    # Near-duplicate comments: character 3-5-gram Jaccard at least this.
    QUALITY_TEXT_SIMILARITY = float(os.environ.get("QUALITY_TEXT_SIMILARITY", 0.6))
    # Signals that are only a note alone (a missing form cookie, outside hours),
    # and how many distinct notes together make a flag (0: never).
    QUALITY_WEAK_SIGNALS = _env_list(
        "QUALITY_WEAK_SIGNALS", "no_form_cookie,outside_hours"
    )
    QUALITY_CORROBORATE_NOTES = _env_int("QUALITY_CORROBORATE_NOTES", 2)
    # Rotating code: grace after its validity before a response is flagged (s).
    QUALITY_TOKEN_GRACE_S = float(os.environ.get("QUALITY_TOKEN_GRACE_S", 60.0))
    # Rotating window-screen QR: a new code every REFRESH seconds, valid VALIDITY.
    QUALITY_ROTATING_REFRESH_S = _env_int("QUALITY_ROTATING_REFRESH_S", 120)
    QUALITY_ROTATING_VALIDITY_S = _env_int("QUALITY_ROTATING_VALIDITY_S", 300)
    # Halls (codes, comma-separated) whose form asks for the queue-ticket code.
    QUALITY_TRANSACTION_HALLS = _env_list("QUALITY_TRANSACTION_HALLS")
    # Rescore: medians and usual rates come from this many days before the period.
    QUALITY_HISTORY_DAYS = _env_int("QUALITY_HISTORY_DAYS", 28)
    # A flagged response holds its quota place while it waits for review (a
    # reviewer's rejection frees it); 0: it takes a place only once accepted.
    QUOTA_COUNT_FLAGGED = os.environ.get("QUOTA_COUNT_FLAGGED", "1") != "0"
    # 一事一评: the same browser's second submission for a window within this
    # many seconds updates its first rating (0: off). A return after the
    # QUALITY_RETURN_VISIT_GAP_S (2 h) is a second errand, rated anew.
    ONE_VISIT_WINDOW_S = _env_int("ONE_VISIT_WINDOW_S", 2 * 3600)
    # --- end quality checks

    # --- Complaints (issue 6; README "Complaints") ---------------------------------
    # Model used when no model was activated with `flask complaints activate`
    # (`make models` / `make run` build the seed demo model there).
    COMPLAINTS_MODEL_PATH = os.environ.get(
        "COMPLAINTS_MODEL_PATH", str(INSTANCE_DIR / "models" / "seed")
    )
    # Load the jieba dictionary in the app factory, so that gunicorn
    # (preload_app) forks workers that have it (gunicorn.conf.py sets 1).
    # Complaints are classified by `flask complaints work`, never by the web.
    COMPLAINTS_PRELOAD = os.environ.get("COMPLAINTS_PRELOAD", "0") == "1"
    # Categories the hall's own management fixes (queues, building, IT); the
    # others go to the department running the window (or the service item's).
    COMPLAINTS_HALL_CATEGORIES = ("waiting_time", "facilities", "system_failure")
    # 差评 follow-up: working days to fix and reply, from China's official
    # calendar (chinese-calendar); CASE_HOLIDAYS (YYYY-MM-DD, comma-separated)
    # are skipped too and CASE_EXTRA_WORKDAYS (make-up days) count.
    CASE_DEADLINE_WORKING_DAYS = _env_int("CASE_DEADLINE_WORKING_DAYS", 5)
    CASE_HOLIDAYS = _env_list("CASE_HOLIDAYS")
    CASE_EXTRA_WORKDAYS = _env_list("CASE_EXTRA_WORKDAYS")
    # Ratings (overall, 1-5) at or below this with a complaint open a case.
    CASE_MAX_OVERALL = 2
    # Reminders (issue 21): a case within this many hours of its deadline is
    # "due soon" for its handler, the admins and the morning digest.
    CASE_REMIND_HOURS = _env_int("CASE_REMIND_HOURS", 24)
    # --- end complaints

    # --- The public record (issue 21; docs/public.md) --------------------------------
    # Below this many responses (or cases, for the case rates) a figure is
    # published as "too few answers" (样本不足), never as a bare percentage.
    PUBLIC_MIN_RESPONSES = _env_int("PUBLIC_MIN_RESPONSES", 30)
    PUBLIC_MIN_CASES = _env_int("PUBLIC_MIN_CASES", 10)
    RATELIMIT_TRACK = os.environ.get("RATELIMIT_TRACK", "10/minute;60/hour")
    # Mail for the case digest (`flask cases remind`); no MAIL_SERVER, no mail.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "surveyapp@localhost")
    # --- end public record


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    HASH_SALT = "testing-salt"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    # A test that switches limits on counts in its own process, or names a file.
    RATELIMIT_STORAGE_URI = "memory://"
    # Test clients submit in milliseconds, which the speed floor rejects by
    # design; the quality tests switch it on.
    QUALITY_ON_SUBMIT = False
    # Test clients rate one window many times from one cookie; the 一事一评
    # tests switch it on.
    ONE_VISIT_WINDOW_S = 0
    PUBLIC_BASE_URL = "http://surveys.example.test"
    # Complaints: no model unless a test activates one.
    COMPLAINTS_MODEL_PATH = ""


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def check_production_secrets(config: dict) -> None:
    """Refuse to start in production with a default or missing secret."""
    for key, default in (("SECRET_KEY", DEV_SECRET), ("HASH_SALT", DEV_SALT)):
        value = config.get(key) or ""
        if value == default or len(value) < 16:
            raise RuntimeError(
                f"{key} must be set to a private value of at least 16 characters "
                "in production (see README, Configure)."
            )
