"""Times as a person reads them: stored naive UTC shown in the configured zone
(Asia/Shanghai), with the zone named once per page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_name
from flask import current_app
from flask_babel import get_locale


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))


def local_time(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored naive-UTC time as local wall-clock text; '' for None.
    A date has no time of day and is shown as it is."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_zone()).strftime(fmt)


def local_date(value: datetime | date | None) -> str:
    return local_time(value, "%Y-%m-%d")


def local_deadline(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A deadline stored as the start of the next local day, shown as the
    last minute of its own day (23:59), so the day it names is the due day."""
    if value is None:
        return ""
    return local_time(value - timedelta(seconds=1), fmt)


def zone_name() -> str:
    """The zone's name in the page's language ("中国时间", "China Time")."""
    return get_timezone_name(_zone(), locale=get_locale() or "zh")
