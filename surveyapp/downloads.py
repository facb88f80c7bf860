"""Sending exports, and keeping pages with personal data out of every cache;
shared by the office and firm blueprints."""

from __future__ import annotations

import io
from functools import wraps
from typing import IO

from flask import Response, make_response, send_file, stream_with_context

from surveyapp.tables.writer import MEDIA_TYPES, Sheet, csv_chunks

NO_STORE = "no-store"


def send_table(
    data: bytes | IO[bytes], fmt: str, name: str, mimetype: str | None = None
) -> Response:
    """A generated file (bytes, or a file from tables.writer.table_file, which
    is closed once sent) as a download named `name.fmt`, never cached: an
    export may hold what a browser or proxy must not keep."""
    body = io.BytesIO(data) if isinstance(data, bytes) else data
    size = body.seek(0, io.SEEK_END)  # a download shows its progress
    body.seek(0)
    response = send_file(
        body,
        mimetype=mimetype or MEDIA_TYPES.get(fmt, "application/octet-stream"),
        as_attachment=True,
        download_name=f"{name}.{fmt}",
        conditional=False,
    )
    response.content_length = size
    response.headers["Cache-Control"] = NO_STORE
    return response


def stream_csv(sheet: Sheet, name: str) -> Response:
    """A sheet as a CSV download sent while its rows are read (a generator
    response, tables.writer.csv_chunks): constant memory at any size, and
    the first bytes leave at once. No Content-Length: the size is not known
    until the last row. Never cached, as send_table."""
    response = Response(
        stream_with_context(csv_chunks(sheet)),
        mimetype=MEDIA_TYPES["csv"],
    )
    response.headers.set("Content-Disposition", "attachment", filename=f"{name}.csv")
    response.headers["Cache-Control"] = NO_STORE
    return response


def no_store(view):
    """The view's page holds personal data (PIPL): `Cache-Control: no-store`,
    so no browser history, shared computer or proxy keeps a copy."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = NO_STORE
        return response

    return wrapped
