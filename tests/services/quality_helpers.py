"""Helpers for the quality tests: aged form tickets, phone-like posts, responses."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Hall, Response
from surveyapp.models.base import utcnow
from surveyapp.services.organisation.qr import parse_token
from surveyapp.services.questionnaires.default import DRIVER_KEYS
from surveyapp.services.responses.submit import issue_ticket
from tests.conftest import full_answers

PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40"
)
HALL = "H450900"


def varied_answers(**extra) -> dict:
    """A differentiated grid (not a straightline) with overall 4."""
    data = full_answers(4)
    for key, value in zip(
        DRIVER_KEYS,
        (4, 5, 4, 3, 5, 4),
        strict=True,
    ):
        data[f"q_drivers_{key}"] = str(value)
    data.update(extra)
    return data


def aged_ticket(html: str, seconds: float) -> str:
    """A form ticket as if the form had been opened ``seconds`` ago."""
    version_id = int(re.search(r"/q/(\d+)/form\.css", html).group(1))
    code = parse_token(re.search(r'action="[^"]*/s/([^"/]+)"', html).group(1))
    return issue_ticket(
        version_id,
        code.hall_id,
        code.window_id,
        now=utcnow() - timedelta(seconds=seconds),
    )


def post_answers(
    client, path, *, seconds=90.0, ua=PHONE_UA, answers=None, query="", **extra
):
    """GET the form (sets the device cookie), then POST like a phone would."""
    html = client.get(path + query, headers={"User-Agent": ua}).get_data(as_text=True)
    data = {"ticket": aged_ticket(html, seconds)}
    rotating = re.search(r'name="rt" value="([^"]+)"', html)
    if rotating:  # the hidden field a browser sends back
        data["rt"] = rotating.group(1)
    data.update(answers if answers is not None else varied_answers())
    data.update(extra)
    return client.post(path, data=data, headers={"User-Agent": ua})


def new_browser(client) -> None:
    """Forget the device cookie: the next post comes from another phone."""
    client.delete_cookie("sa_device")


def hall(code: str = HALL) -> Hall:
    return db.session.scalar(select(Hall).where(Hall.code == code))


def responses() -> list[Response]:
    return list(db.session.scalars(select(Response).order_by(Response.id)))
