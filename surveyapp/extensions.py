"""Flask extensions, created unbound and initialised in the app factory."""

from functools import lru_cache, wraps

from flask import abort, g, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits import parse_many
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

    Every limit here is a view's own (`per_address`: submissions, sign-in).
    The library also looks, before every request, for default, application,
    blueprint and meta limits, and finds none: ~5% of a request's time. That
    search runs only once such a limit is configured (RATELIMIT_DEFAULT, ...);
    `@limiter.limit` works as in the library.
    """

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if in_middleware and not self._limits_beyond_routes():
            return
        g.surveyapp_library_limits_checked = True
        super()._check_request_limit(callable_name, in_middleware)

    # The library's after-request and teardown hooks carry the state of its
    # checks (rate-limit headers, conditional deductions) to the response.
    # `per_address` keeps no such state: in a request where no library check
    # ran they have nothing to do, and skip it (~3% of a page view).

    def _library_checked(self) -> bool:
        return g.get("surveyapp_library_limits_checked", False)

    @property
    def current_limit(self):
        return super().current_limit if self._library_checked() else None

    def _Limiter__check_conditional_deductions(self, response) -> None:
        if self._library_checked():
            super()._Limiter__check_conditional_deductions(response)

    def _Limiter__release_context(self, exc: BaseException | None = None) -> None:
        if self._library_checked():
            super()._Limiter__release_context(exc)

    def _limits_beyond_routes(self) -> bool:
        manager = self.limit_manager
        return bool(
            manager.default_limits
            or manager.application_limits
            or manager._blueprint_limits
            or self._meta_limits
        )

    def per_address(self, limits, methods=("POST",)):
        """Decorator: the view's own limits ("20/minute;200/hour", or a
        function that returns them), counted per client address; past one of
        them the request gets a 429 (errors.py's page).

        Counts with Flask-Limiter's own storage and strategy (`Limiter.limiter`,
        Redis in production) under the same keys as `@limiter.limit`, without
        its per-request resolution of default, blueprint and meta limits for
        the route: ~7% of a submission's time (benchmarks/load.py)."""

        def decorate(view):
            @wraps(view)
            def limited(*args, **kwargs):
                if request.method in methods:
                    self.hit_route_limits(limits() if callable(limits) else limits)
                return view(*args, **kwargs)

            return limited

        return decorate

    def hit_route_limits(self, limits: str) -> None:
        """Count this request against each limit, shortest window first as
        Flask-Limiter does; abort(429) at the first one exceeded."""
        if not (self.enabled and self.initialized):
            return
        key = [get_remote_address(), request.endpoint or ""]
        if self._key_prefix:
            key.insert(0, self._key_prefix)
        strategy = self.limiter
        for item in _parsed_limits(limits):
            if not strategy.hit(item, *key):
                abort(429)


@lru_cache(maxsize=64)
def _parsed_limits(limits: str) -> tuple:
    return tuple(sorted(parse_many(limits)))


limiter = RouteLimiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _reads_are_never_limited() -> bool:
    """Limits the library itself applies (RATELIMIT_DEFAULT and the like,
    none by default) never count page views; `per_address` counts only the
    methods it is given (POST)."""
    return request.method in ("GET", "HEAD", "OPTIONS")
