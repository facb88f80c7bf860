"""One page of a query's rows, with the total for the pager."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from surveyapp.extensions import db


def page_of(query: Select, page: int, per_page: int) -> tuple[list, int]:
    """Rows of page `page` (from 1) of an ordered `query`, and how many in all."""
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.limit(per_page).offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(rows), total
