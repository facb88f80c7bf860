"""Configuration classes, read from environment variables."""

from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
DEV_SECRET = "dev-only-secret-change-me"
DEV_SALT = "dev-only-salt-change-me"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


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
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    # Salt for hashing client addresses, device cookies and phone numbers (PIPL).
    HASH_SALT = os.environ.get("HASH_SALT", DEV_SALT)
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 64 * 1024)
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    WTF_CSRF_TIME_LIMIT = None  # a citizen may take their time; the form token is signed
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    # Rate limits (Flask-Limiter); Redis in production via RATELIMIT_STORAGE_URI.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = True
    RATELIMIT_SUBMIT = os.environ.get("RATELIMIT_SUBMIT", "20/minute;200/hour")
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10/minute;50/hour")
    # How many proxies in front of the app set X-Forwarded-For (nginx: 1).
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    # Free-text answers are capped (characters).
    FREE_TEXT_MAX = 2000
    # Device cookie lifetime (days).
    DEVICE_COOKIE_DAYS = 365


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
    PUBLIC_BASE_URL = "http://surveys.example.test"


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
