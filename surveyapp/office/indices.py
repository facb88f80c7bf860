"""Office pages for index runs: compute, inspect, compare, publish, export."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.analysis.index import METHODS
from surveyapp.auth import admin_required
from surveyapp.downloads import send_table
from surveyapp.numbers import whole_number
from surveyapp.office import bp
from surveyapp.office.index_charts import driver_chart, ranking_chart, trend_chart
from surveyapp.office.index_notes import (
    driver_name,
    exclusion_label,
    index_error,
    method_note,
)
from surveyapp.services.indices import volumes as volume_service
from surveyapp.services.indices.exports import FORMATS, MEDIA_TYPES, export_run
from surveyapp.services.indices.runs import (
    LEVELS,
    IndexRunError,
    ahp_check,
    compare_runs,
    compute_run,
    get_run,
    list_runs,
    pairwise_matrix,
    period_not_ended,
    publish_run,
    supersede_run,
)
from surveyapp.services.questionnaires.default import DRIVERS
from surveyapp.tables.reader import FileRefused
from surveyapp.uploads import allow_uploads

# Saaty's scale as offered in the AHP form: value shown, number used.
SAATY = [
    ("9", 9.0),
    ("7", 7.0),
    ("5", 5.0),
    ("3", 3.0),
    ("2", 2.0),
    ("1", 1.0),
    ("1/2", 1 / 2),
    ("1/3", 1 / 3),
    ("1/5", 1 / 5),
    ("1/7", 1 / 7),
    ("1/9", 1 / 9),
]
PAIRS = [(i, j) for i in range(len(DRIVERS)) for j in range(i + 1, len(DRIVERS))]
# The volume file may be larger than the site's other forms (FIRM_UPLOAD_MAX_BYTES).
allow_uploads(bp, "volumes_import")


def _run_or_404(run_id: int):
    try:
        return get_run(run_id)
    except IndexRunError:
        abort(404)


def _fixed_weights(form) -> dict[str, float] | None:
    """The office's own fixed weights, if any were typed (blank: the defaults)."""
    typed = {key: form.get(f"w_{key}", "").strip() for key, _zh, _en in DRIVERS}
    if not any(typed.values()):
        return None
    try:
        return {key: float(value or 0) for key, value in typed.items()}
    except ValueError:
        raise IndexRunError(_("Weights must be numbers.")) from None


@bp.route("/indices")
def index_runs():
    return render_template(
        "office/indices/runs.html",
        runs=list_runs(),
        levels=LEVELS,
        methods=METHODS,
        drivers=DRIVERS,
    )


@bp.route("/indices/run", methods=["POST"])
def index_run_create():
    form = request.form
    try:
        run = compute_run(
            form.get("period", ""),
            form.get("level", ""),
            form.get("method", "fixed"),
            fixed=_fixed_weights(form),
            user=current_user,
        )
    except IndexRunError as exc:
        flash(
            _("The run could not be computed: %(error)s", error=index_error(exc)),
            "error",
        )
        return redirect(url_for("office.index_runs"))
    flash(_("Run %(id)s computed.", id=run.id), "success")
    return redirect(url_for("office.index_run", run_id=run.id))


@bp.route("/indices/<int:run_id>")
def index_run(run_id: int):
    run = _run_or_404(run_id)
    drafts = [
        r
        for r in list_runs(period=run.period, level=run.level)
        if r.status == "draft" and r.id != run.id
    ]
    return render_template(
        "office/indices/run.html",
        run=run,
        chart=ranking_chart(run.results, run.overall),
        formats=FORMATS,
        drafts=drafts,
        others=list_runs(level=run.level),
        superseded_by=[r for r in list_runs() if r.supersedes_id == run.id],
    )


bp.add_app_template_filter(method_note)
bp.add_app_template_global(exclusion_label)
bp.add_app_template_global(driver_name)


@bp.route("/indices/<int:run_id>/units/<unit_code>")
def index_unit(run_id: int, unit_code: str):
    run = _run_or_404(run_id)
    result = next((r for r in run.results if r.unit_code == unit_code), None)
    if result is None:
        abort(404)
    return render_template(
        "office/indices/unit.html",
        run=run,
        result=result,
        trend=trend_chart(result.trend),
        drivers=driver_chart(
            result.driver_scores,
            run.dimension_weights,
            result.index,
            result.driver_intervals,
        ),
        driver_names={key: (zh, en) for key, zh, en in DRIVERS},
    )


@bp.route("/indices/<int:run_id>/export.<fmt>")
def index_run_export(run_id: int, fmt: str):
    if fmt not in FORMATS:
        abort(404)
    run = _run_or_404(run_id)
    name = f"index-run-{run.id}-{run.period}-{run.level}"
    return send_table(export_run(run, fmt), fmt, name, MEDIA_TYPES[fmt])


@bp.route("/indices/<int:run_id>/publish", methods=["POST"])
@admin_required
def index_run_publish(run_id: int):
    try:
        run = publish_run(_run_or_404(run_id), current_user)
        flash(_("The run is published and will not change."), "success")
        if period_not_ended(run):
            flash(
                _(
                    "Warning: the period %(period)s has not ended yet. Responses that"
                    " come in later are not in this published run; publish a"
                    " correction (supersede) after the period ends.",
                    period=run.period,
                ),
                "error",
            )
    except IndexRunError as exc:
        flash(index_error(exc), "error")
    return redirect(url_for("office.index_run", run_id=run_id))


@bp.route("/indices/<int:run_id>/supersede", methods=["POST"])
@admin_required
def index_run_supersede(run_id: int):
    old = _run_or_404(run_id)
    try:
        new = _run_or_404(request.form.get("new_run", 0, type=whole_number))
        supersede_run(old, new, request.form.get("reason", ""), current_user)
    except (IndexRunError, ValueError) as exc:
        flash(_("Not superseded: %(error)s", error=index_error(exc)), "error")
        return redirect(url_for("office.index_run", run_id=run_id)), 303
    flash(_("Run %(new)s now replaces run %(old)s.", new=new.id, old=old.id), "success")
    return redirect(url_for("office.index_run", run_id=new.id))


@bp.route("/indices/compare")
def index_compare():
    try:
        before = _run_or_404(request.args.get("a", 0, type=whole_number))
        after = _run_or_404(request.args.get("b", 0, type=whole_number))
        rows = compare_runs(before, after)
    except (ValueError, IndexRunError) as exc:
        flash(index_error(exc), "error")
        return redirect(url_for("office.index_runs"))
    return render_template(
        "office/indices/compare.html", before=before, after=after, rows=rows
    )


@bp.route("/indices/ahp", methods=["GET", "POST"])
def index_ahp():
    values = dict(SAATY)
    chosen = {pair: "1" for pair in PAIRS}
    check, error = None, None
    form = request.form
    if request.method == "POST":
        chosen = {(i, j): form.get(f"a_{i}_{j}", "1") for i, j in PAIRS}
        try:
            if any(v not in values for v in chosen.values()):
                raise IndexRunError(_("Choose each judgement from the scale."))
            matrix = pairwise_matrix(
                {pair: values[v] for pair, v in chosen.items()}, len(DRIVERS)
            )
            check = ahp_check(matrix)
            if form.get("action") == "run":
                if not check["consistent"] and not form.get("override"):
                    raise IndexRunError(
                        _(
                            "The consistency ratio %(cr).3f is above 0.10: revise the "
                            "judgements or tick the override.",
                            cr=check["cr"],
                        )
                    )
                run = compute_run(
                    form.get("period", ""),
                    form.get("level", ""),
                    "ahp",
                    pairwise=matrix,
                    override_cr=bool(form.get("override")),
                    user=current_user,
                )
                flash(_("Run %(id)s computed.", id=run.id), "success")
                return redirect(url_for("office.index_run", run_id=run.id))
        except IndexRunError as exc:
            error = index_error(exc)
    return render_template(
        "office/indices/ahp.html",
        drivers=DRIVERS,
        pairs=PAIRS,
        scale=SAATY,
        chosen=chosen,
        check=check,
        error=error,
        levels=LEVELS,
        form=form,
    ), (422 if error else 200)


@bp.route("/volumes/import", methods=["POST"])
def volumes_import():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV or XLSX file."), "error")
        return redirect(url_for("office.index_runs"))
    try:
        counts = volume_service.import_volumes(upload.read(), upload.filename)
    except FileRefused as exc:
        return render_template(
            "office/indices/volume_errors.html",
            problems=exc.problems,
            filename=upload.filename,
        ), 422
    flash(
        _(
            "Volumes imported: %(new)s new, %(updated)s updated.",
            new=counts["created"],
            updated=counts["updated"],
        ),
        "success",
    )
    return redirect(url_for("office.index_runs"))


@bp.route("/volumes/template.<fmt>")
def volumes_template(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    return send_table(volume_service.template(fmt), fmt, "volumes-template")
