"""Flask extensions, created unbound and initialised in the app factory."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Registers the swept-memory:// rate-limit storage (the default) with limits.
from surveyapp import ratelimit_storage  # noqa: F401

# Stable constraint names so Alembic migrations are reproducible across databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


class RouteLimiter(Limiter):
    """Flask-Limiter, minus its per-request search for limits that do not exist.

    Every limit here is a route's own decorator (submissions, sign-in). The
    library also looks, before every request, for default, application,
    blueprint and meta limits, and finds none: ~5% of a request's time. That
    search runs only once such a limit is configured (RATELIMIT_DEFAULT, ...).
    """

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if in_middleware and not self._limits_beyond_routes():
            return
        super()._check_request_limit(callable_name, in_middleware)

    def _limits_beyond_routes(self) -> bool:
        manager = self.limit_manager
        return bool(
            manager.default_limits
            or manager.application_limits
            or manager._blueprint_limits
            or self._meta_limits
        )


limiter = RouteLimiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _reads_are_never_limited() -> bool:
    """Every limit here is on POST (submissions, sign-in: `methods=["POST"]`);
    a page view skips the evaluation (~10% of its time in the app)."""
    return request.method in ("GET", "HEAD", "OPTIONS")
