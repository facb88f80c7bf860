"""Flask extensions, created unbound and initialised in the app factory."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Importing it registers the sqlite-file:// rate-limit storage with limits.
from surveyapp.ratelimits import address_key

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


limiter = Limiter(key_func=address_key)


# Page views that are lookups by a secret (a receipt code at /track): limited
# so that codes cannot be guessed by asking many times.
LIMITED_PAGE_VIEWS = frozenset({"public.track_case"})


@limiter.request_filter
def _page_views_are_never_limited() -> bool:
    """Every limit is a view's own, on its POSTs: a page view need not look,
    except the lookups above."""
    return (
        request.method in ("GET", "HEAD", "OPTIONS")
        and request.endpoint not in LIMITED_PAGE_VIEWS
    )
