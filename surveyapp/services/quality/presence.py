"""Presence evidence: rotating window-screen codes and 一事一评 transaction codes."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from surveyapp.extensions import db
from surveyapp.models import Hall, Window
from surveyapp.models.base import utcnow
from surveyapp.models.quality import TransactionCode, WindowScreen
from surveyapp.security import salted_hash
from surveyapp.services.organisation import qr

_ROTATING_SALT = "rotating-qr"
_CODE = re.compile(r"^[0-9A-Za-z-]{4,32}$")


# --- rotating codes on a window's screen -----------------------------------------


def issue_rotating_token(window_id: int, now: datetime | None = None) -> str:
    """A signed [window id, issue time] carried as ?rt= in the screen's QR URL."""
    issued = (now or utcnow()).timestamp()
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], _ROTATING_SALT)
    return serializer.dumps([window_id, int(issued)])


def rotating_token_age(
    token: str | None, window_id: int | None, opened_at: datetime
) -> float | None:
    """Seconds between the code's issue and the form's opening; None when the
    token is absent, forged or for another window (treated as a poster scan)."""
    if not token or window_id is None or len(token) > 200:
        return None
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], _ROTATING_SALT)
    try:
        token_window, issued = serializer.loads(token)
        if int(token_window) != window_id:
            return None
        age = opened_at.timestamp() - float(issued)
    except (BadSignature, ValueError, TypeError):
        return None
    return max(age, 0.0)


def screen_secret(window: Window) -> str:
    """Create or replace the secret screen link of a window; returns the secret
    (shown once: only its hash is stored)."""
    secret = secrets.token_urlsafe(24)
    screen = db.session.scalar(
        select(WindowScreen).where(WindowScreen.window_id == window.id)
    )
    if screen is None:
        screen = WindowScreen(window_id=window.id)
        db.session.add(screen)
    screen.secret_hash = salted_hash(secret, purpose="screen")
    screen.created_at = utcnow()
    db.session.commit()
    return secret


def window_for_screen(secret: str) -> Window | None:
    if not secret or len(secret) > 64:
        return None
    screen = db.session.scalar(
        select(WindowScreen).where(
            WindowScreen.secret_hash == salted_hash(secret, purpose="screen")
        )
    )
    return screen.window if screen is not None and screen.window.active else None


@dataclass(frozen=True)
class ScreenCode:
    url: str
    svg: str
    refresh_s: int
    validity_s: int


def screen_code(
    window: Window, base_url: str, now: datetime | None = None
) -> ScreenCode:
    """The current rotating code of a window: the survey URL plus ?rt=."""
    questionnaire = qr.default_questionnaire()
    token = qr.make_token(window.hall_id, window.id, questionnaire.id)
    url = f"{qr.survey_url(token, base_url)}?rt={issue_rotating_token(window.id, now)}"
    return ScreenCode(
        url=url,
        svg=qr._inline_svg(qr.svg_bytes(url)),
        refresh_s=current_app.config["QUALITY_ROTATING_REFRESH_S"],
        validity_s=current_app.config["QUALITY_ROTATING_VALIDITY_S"],
    )


# --- transaction codes (一事一评) ----------------------------------------------------


def requires_transaction_code(hall: Hall) -> bool:
    return hall.code in current_app.config.get("QUALITY_TRANSACTION_HALLS", ())


def normalise_code(raw: str | None) -> str | None:
    code = (raw or "").strip().replace(" ", "").upper()
    return code if _CODE.match(code) else None


def code_hash(code: str) -> str:
    return salted_hash(code, purpose="txn") or ""


def import_transaction_codes(hall: Hall, codes: Iterable[str]) -> int:
    """Store the hashes of codes the queue system printed; returns how many are
    new (codes already known are skipped, so an import can be repeated)."""
    hashes = {code_hash(c) for raw in codes if (c := normalise_code(raw))}
    known = (
        set(
            db.session.scalars(
                select(TransactionCode.code_hash).where(
                    TransactionCode.code_hash.in_(hashes)
                )
            )
        )
        if hashes
        else set()
    )
    new = hashes - known
    db.session.add_all(TransactionCode(code_hash=h, hall_id=hall.id) for h in new)
    db.session.commit()
    return len(new)


def known_code(hall: Hall, raw: str | None) -> str | None:
    """The hash of a valid code of this hall, or None."""
    code = normalise_code(raw)
    if code is None:
        return None
    digest = code_hash(code)
    found = db.session.scalar(
        select(TransactionCode.id).where(
            TransactionCode.code_hash == digest, TransactionCode.hall_id == hall.id
        )
    )
    return digest if found is not None else None


def use_transaction_code(digest: str, public_id: str) -> bool:
    """Claim the code for this response (no commit). True for its first use;
    the conditional UPDATE lets only one of two concurrent uses win."""
    result = db.session.execute(
        update(TransactionCode)
        .where(TransactionCode.code_hash == digest, TransactionCode.used_at.is_(None))
        .values(used_at=utcnow(), used_by_public_id=public_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class ScreenWindow:
    window: Window
    issued_at: datetime | None  # when its current screen link was issued


def screen_windows() -> list[tuple[Hall, list[ScreenWindow]]]:
    """Active windows grouped by hall (in code order), each with the time its
    current screen link was issued (None: it has none)."""
    issued = {
        window_id: created_at
        for window_id, created_at in db.session.execute(
            select(WindowScreen.window_id, WindowScreen.created_at)
        )
    }
    rows = db.session.execute(
        select(Hall, Window)
        .join(Window, Window.hall_id == Hall.id)
        .where(Window.active, Hall.active)
        .order_by(Hall.code, Window.code)
    ).all()
    grouped: dict[int, tuple[Hall, list[ScreenWindow]]] = {}
    for hall, window in rows:
        grouped.setdefault(hall.id, (hall, []))[1].append(
            ScreenWindow(window, issued.get(window.id))
        )
    return list(grouped.values())


def screen_issued_at(window: Window) -> datetime | None:
    return db.session.scalar(
        select(WindowScreen.created_at).where(WindowScreen.window_id == window.id)
    )
