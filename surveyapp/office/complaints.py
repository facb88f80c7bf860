"""Office pages for complaints: inbox and corrections, topics, 差评 follow-up cases."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp.downloads import no_store, send_table, stream_csv
from surveyapp.extensions import db
from surveyapp.models.base import utcnow
from surveyapp.models.complaints import CASE_STATES, ROUTING_STATES, Complaint
from surveyapp.models.complaints import ComplaintCase as Case
from surveyapp.numbers import whole_number
from surveyapp.office import bp
from surveyapp.office.index_notes import index_error
from surveyapp.office.pages import cursor_from_args, filter_args, page_links
from surveyapp.security import same_site_referrer
from surveyapp.services.admin.users import audit
from surveyapp.services.complaints import cases as case_service
from surveyapp.services.complaints import pipeline as service
from surveyapp.services.complaints.active_model import active_source, category_labels
from surveyapp.services.complaints.exports import case_sheet, export_cases
from surveyapp.services.complaints.inbox import (
    InboxFilter,
    PeriodError,
    inbox,
    topics,
    trend_svg_points,
)
from surveyapp.services.complaints.tracking import record_callback
from surveyapp.services.organisation.catalogue import all_halls
from surveyapp.tables.writer import FORMATS

# Comments the complaints worker has not recorded after this long mean it is
# not running: the inbox says so.
WORKER_LATE = timedelta(minutes=5)

# Names of the seed taxonomy's categories; other label sets show their codes.
CATEGORY_NAMES = {
    "waiting_time": _l("Waiting time"),
    "staff_attitude": _l("Staff attitude"),
    "materials_process": _l("Materials and process"),
    "policy_explanation": _l("Policy explanation"),
    "system_failure": _l("System failure"),
    "fees": _l("Fees"),
    "facilities": _l("Facilities"),
    "conduct": _l("Conduct"),
}
ROUTING_NAMES = {
    "pending": _l("Not yet classified"),
    "routed": _l("Routed"),
    "needs_person": _l("Needs a person"),
}
STATE_NAMES = {
    "new": _l("New"),
    "assigned": _l("Assigned"),
    "being_fixed": _l("Being fixed"),
    "replied": _l("Replied"),
    "closed": _l("Closed"),
    "appealed": _l("Appealed"),
}


def _me():
    return current_user._get_current_object()


def _names() -> dict:
    return {
        "category_names": CATEGORY_NAMES,
        "routing_names": ROUTING_NAMES,
        "state_names": STATE_NAMES,
    }


def _confidence(name: str) -> float | None:
    value = request.args.get(name, type=float)
    return None if value is None else min(max(value, 0.0), 1.0)


@bp.route("/complaints")
@no_store
def complaints():
    args = request.args
    filters = InboxFilter(
        category=args.get("category") or None,
        hall_id=args.get("hall", type=whole_number),
        period=(args.get("period") or "").strip() or None,
        min_confidence=_confidence("min_conf"),
        max_confidence=_confidence("max_conf"),
        routing=args.get("state") if args.get("state") in ROUTING_STATES else None,
        rejected=args.get("rejected") == "1",
    )
    try:
        rows, total = inbox(filters)
    except PeriodError as exc:
        flash(index_error(exc), "error")
        return redirect(url_for("office.complaints"), 303)
    return render_template(
        "office/complaints/inbox.html",
        rows=rows,
        total=total,
        filters=filters,
        halls=all_halls(),
        labels=category_labels(),
        routing_states=ROUTING_STATES,
        has_model=active_source() is not None,
        waiting=_worker_backlog(),
        **_names(),
    )


def _worker_backlog() -> int:
    """Comments of the last day not yet recorded, if the oldest has waited
    longer than WORKER_LATE (the complaints worker is not running); else 0."""
    count, oldest = service.waiting_since()
    return count if oldest is not None and utcnow() - oldest > WORKER_LATE else 0


def _back() -> str:
    """The page the form was on, if it is one of this site's."""
    back = same_site_referrer(request.referrer, request.host)
    return back or url_for("office.complaints")


@bp.route("/complaints/<int:complaint_id>/category", methods=["POST"])
def complaint_correct(complaint_id: int):
    complaint = db.session.get(Complaint, complaint_id) or abort(404)
    try:
        service.correct(complaint, request.form.get("category", ""), _me())
    except service.ComplaintError:
        flash(_("Please choose one of the categories."), "error")
        return redirect(_back(), 303)
    flash(_("Category corrected; it will be used as training data."), "success")
    return redirect(_back(), 303)


@bp.route("/complaints/topics")
def complaint_topics():
    hall_id = request.args.get("hall", type=whole_number)
    period = (request.args.get("period") or "").strip() or None
    try:
        result = topics(hall_id, period)
    except PeriodError as exc:
        flash(index_error(exc), "error")
        return redirect(url_for("office.complaint_topics"), 303)
    return render_template(
        "office/complaints/topics.html",
        result=result,
        points=trend_svg_points(result["trend"], result["months"]),
        halls=all_halls(),
        hall_id=hall_id,
        period=period or "",
        **_names(),
    )


CASE_FILTERS = ("state", "hall", "overdue")


def _case_filters() -> tuple[str | None, int | None, bool]:
    state = request.args.get("state")
    state = state if state in CASE_STATES else None
    return (
        state,
        request.args.get("hall", type=whole_number),
        request.args.get("overdue") == "1",
    )


@bp.route("/cases")
@no_store
def cases():
    state, hall_id, overdue = _case_filters()
    page = case_service.list_cases(
        state, hall_id, overdue, cursor=cursor_from_args(request.args)
    )
    return render_template(
        "office/complaints/cases.html",
        rows=page.rows,
        pager=page_links("office.cases", page, CASE_FILTERS),
        rates=case_service.unit_rates(),
        is_overdue=case_service.is_overdue,
        halls=all_halls(),
        states=CASE_STATES,
        state=state,
        overdue=overdue,
        filter_args=filter_args(request.args, CASE_FILTERS),
        **_names(),
    )


@bp.route("/cases/export.<fmt>")
@no_store
def cases_export(fmt: str):
    if fmt not in FORMATS:
        abort(404)
    state, hall_id, overdue = _case_filters()
    audit(_me(), "export_cases", fmt, {"args": dict(request.args)}, request.remote_addr)
    name = f"cases-{date.today().isoformat()}"
    if fmt == "csv":  # written as it is read
        return stream_csv(case_sheet(state, hall_id, overdue), name)
    return send_table(export_cases(fmt, state, hall_id, overdue), fmt, name)


def _detail(case: Case, phone: str | None = None):
    return render_template(
        "office/complaints/case.html",
        case=case,
        phone=phone,
        may_reveal=case_service.may_reveal_contact(case, _me()),
        next_states=case_service.TRANSITIONS.get(case.state, ()),
        overdue=case_service.is_overdue(case),
        callback_names=CALLBACK_NAMES,
        fix_names=FIX_NAMES,
        **_names(),
    )


@bp.route("/cases/<int:case_id>")
@no_store
def case_detail(case_id: int):
    return _detail(db.session.get(Case, case_id) or abort(404))


@bp.route("/cases/<int:case_id>/move", methods=["POST"])
def case_transition(case_id: int):
    case = db.session.get(Case, case_id) or abort(404)
    form = request.form
    try:
        case_service.transition(
            case,
            form.get("to_state", ""),
            _me(),
            note=form.get("note", "")[:2000],
            reply=form.get("reply", "")[:2000],
            assignee=form.get("assignee", ""),
            client_address=request.remote_addr,
        )
    except case_service.UnstorableText:
        db.session.rollback()
        flash(_("The text holds characters that cannot be stored."), "error")
        return redirect(url_for("office.case_detail", case_id=case.id), 303)
    except case_service.CaseError:
        db.session.rollback()
        flash(_("This step is not possible now (a reply needs its text)."), "error")
        return redirect(url_for("office.case_detail", case_id=case.id), 303)
    flash(_("Case updated."), "success")
    return redirect(url_for("office.case_detail", case_id=case.id), 303)


CALLBACK_NAMES = {
    "reached": _l("Reached, no judgement given"),
    "satisfied": _l("Reached, satisfied"),
    "unsatisfied": _l("Reached, not satisfied"),
    "no_answer": _l("Not reached"),
}
FIX_NAMES = {3: _l("Satisfied"), 2: _l("Basically satisfied"), 1: _l("Not satisfied")}


@bp.route("/cases/<int:case_id>/callback", methods=["POST"])
def case_callback(case_id: int):
    """Record the call-back (回访) to a citizen who consented to one."""
    case = db.session.get(Case, case_id) or abort(404)
    try:
        record_callback(
            case,
            _me(),
            request.form.get("outcome", ""),
            request.form.get("note", "")[:2000],
        )
    except case_service.CaseError:
        db.session.rollback()
        flash(_("The call-back could not be recorded: choose an outcome."), "error")
        return redirect(url_for("office.case_detail", case_id=case.id), 303)
    flash(_("Call-back recorded."), "success")
    return redirect(url_for("office.case_detail", case_id=case.id), 303)


@bp.route("/cases/<int:case_id>/contact", methods=["POST"])
@no_store
def case_contact(case_id: int):
    """Show the citizen's phone to the case's handler or an admin; each look
    is audited."""
    case = db.session.get(Case, case_id) or abort(404)
    try:
        phone = case_service.reveal_contact(case, _me(), request.remote_addr)
    except case_service.NotHandler:
        abort(403)
    if phone is None:
        flash(_("The citizen left no way to reach them."), "error")
    return _detail(case, phone)
