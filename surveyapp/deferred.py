"""Work that runs after the citizen's page has been sent, not in front of it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app

log = logging.getLogger(__name__)


def after_response(http_response, func: Callable[..., object], *args: object):
    """Run `func(*args)` in a fresh app context once the server has sent
    `http_response` (WSGI close): the citizen never waits for it."""
    app = current_app._get_current_object()

    def job() -> None:
        try:
            with app.app_context():
                func(*args)
        except Exception:  # noqa: BLE001 - nothing may reach the server loop
            log.exception("deferred %s failed", getattr(func, "__name__", func))

    http_response.call_on_close(job)
    return http_response
