"""API routes: index runs and indices for the performance scoring system."""

from __future__ import annotations

from flask import abort, current_app, jsonify, request, url_for
from sqlalchemy import select

from surveyapp.analysis.periods import PeriodError, parse_period
from surveyapp.api import bp
from surveyapp.api.auth import require_token
from surveyapp.api.openapi import openapi_document
from surveyapp.downloads import NO_STORE
from surveyapp.errors import error_response
from surveyapp.extensions import db
from surveyapp.models import RUN_STATUSES, IndexResult, IndexRun
from surveyapp.numbers import whole_number
from surveyapp.services.indices.exports import (
    counted_responses,
    result_row,
    run_summary,
)
from surveyapp.services.indices.runs import LEVELS, RUN_STATUSES_VISIBLE
from surveyapp.services.paging import page_of

bp.before_request(require_token)


@bp.after_request
def _never_cached(response):
    """A token's answers stay with its holder: no proxy or client cache keeps
    them (the same no-store as the office's personal pages)."""
    response.headers["Cache-Control"] = NO_STORE
    return response


MAX_PAGE = 1_000_000


def _page_args() -> tuple[int, int]:
    config = current_app.config
    try:
        page = whole_number(request.args.get("page", "1"))
        per_page = whole_number(
            request.args.get("per_page", str(config["API_PER_PAGE"]))
        )
    except ValueError:
        abort(400, "page and per_page must be whole numbers")
    # The page cap keeps the SQL OFFSET inside a 64-bit integer.
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= config["API_MAX_PER_PAGE"]:
        abort(
            400,
            f"1 <= page <= {MAX_PAGE} and 1 <= per_page <= {config['API_MAX_PER_PAGE']}",
        )
    return page, per_page


def _paginated(query, page: int, per_page: int, endpoint: str, render, **args):
    rows, total = page_of(query, page, per_page)
    pages = max(1, -(-total // per_page))

    def link(number: int) -> str:
        return url_for(endpoint, page=number, per_page=per_page, **args)

    links = {"self": link(page), "first": link(1), "last": link(pages)}
    links["next"] = link(page + 1) if page < pages else None
    links["prev"] = link(page - 1) if page > 1 else None
    return jsonify(
        {
            "items": [render(row) for row in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": pages,
            "links": links,
        }
    )


def _period_label(text: str) -> str:
    """The period's canonical label (2026-q3 -> 2026-Q3); a text that names no
    period is a 400 with the reason, code invalid_period."""
    try:
        return parse_period(text).label
    except PeriodError as exc:
        response, status = error_response(400, str(exc), "invalid_period")
        response.status_code = status
        abort(response)


def detailed_row(run: IndexRun, result: IndexResult) -> dict:
    row = result_row(run, result)
    row.update(
        run_id=run.id,
        level=run.level,
        deff=result.deff,
        df=result.df,
        overall_mean=result.overall_mean,
        driver_scores=result.driver_scores,
        driver_intervals=result.driver_intervals,
        vs_overall=result.vs_overall,
        excluded=result.excluded,
        responses=counted_responses(result),
    )
    return row


@bp.get("/index-runs")
def index_runs():
    page, per_page = _page_args()
    args = {
        k: request.args[k] for k in ("period", "level", "status") if request.args.get(k)
    }
    query = select(IndexRun).order_by(IndexRun.id.desc())
    if "period" in args:
        args["period"] = _period_label(args["period"])
        query = query.where(IndexRun.period == args["period"])
    if "level" in args:
        query = query.where(IndexRun.level == args["level"])
    if "status" in args:
        if args["status"] not in RUN_STATUSES:
            abort(400, f"status must be one of {', '.join(RUN_STATUSES)}")
        query = query.where(IndexRun.status == args["status"])
    return _paginated(query, page, per_page, "api.index_runs", run_summary, **args)


@bp.get("/index-runs/<int:run_id>")
def index_run(run_id: int):
    run = db.session.get(IndexRun, run_id)
    if run is None:
        return error_response(404, code="not_found")
    body = run_summary(run)
    body["results"] = [detailed_row(run, r) for r in run.results]
    return jsonify(body)


@bp.get("/indices")
def indices():
    period, level = request.args.get("period"), request.args.get("level")
    if not period or level not in LEVELS:
        abort(400, f"period and level (one of {', '.join(LEVELS)}) are required")
    period = _period_label(period)
    page, per_page = _page_args()
    status = request.args.get("status", "published")
    if status not in RUN_STATUSES_VISIBLE:
        abort(400, "status must be published or draft")
    run = db.session.scalar(
        select(IndexRun)
        .where(IndexRun.period == period, IndexRun.level == level)
        .where(IndexRun.status == status)
        .order_by(IndexRun.id.desc())
    )
    if run is None:
        return error_response(404, f"no {status} run for {period} {level}", "not_found")
    query = (
        select(IndexResult)
        .where(IndexResult.run_id == run.id)
        .order_by(IndexResult.position)
    )
    return _paginated(
        query,
        page,
        per_page,
        "api.indices",
        lambda r: detailed_row(run, r),
        period=period,
        level=level,
        status=status,
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
