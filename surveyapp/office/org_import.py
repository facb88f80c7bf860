"""Office pages (admin) for the catalogue file: upload, preview what it would
change, apply (a second POST that checks again), download the catalogue and
its template."""

from __future__ import annotations

from datetime import date

from flask import Response as FlaskResponse
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from surveyapp.auth import admin_required
from surveyapp.office import bp
from surveyapp.services.organisation import exports, imports

MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Rows of one kind and action shown in a preview (the counts are complete).
PREVIEW_ROWS = 200


class CatalogueUploadForm(FlaskForm):
    file = FileField(_l("Catalogue file (CSV or XLSX)"), validators=[FileRequired()])
    retire_missing = BooleanField(_l("Retire what the file no longer lists"))


def _upload_page(form, *, problems=(), status: int = 200):
    return render_template(
        "office/organisation/import.html", form=form, problems=problems
    ), status


def _preview_page(plan, token: str, filename: str, *, status: int = 200):
    return render_template(
        "office/organisation/preview.html",
        plan=plan,
        counts=plan.counts(),
        token=token,
        filename=filename,
        fingerprint=plan.fingerprint(),
        limit=PREVIEW_ROWS,
    ), status


@bp.route("/organisation/import", methods=["GET", "POST"])
@admin_required
def org_import():
    request.max_content_length = current_app.config["CATALOGUE_UPLOAD_MAX_BYTES"]
    form = CatalogueUploadForm()
    if request.method == "GET":
        return _upload_page(form)
    if not form.validate_on_submit():
        return _upload_page(form, status=400)
    upload = form.file.data
    data, filename = upload.read(), upload.filename or "catalogue.csv"
    retire_missing = bool(form.retire_missing.data)
    try:
        plan = imports.plan_import(data, filename, retire_missing=retire_missing)
    except imports.CatalogueRefused as exc:
        flash(
            _("The file was refused and nothing changed. Please correct every row:"),
            "error",
        )
        return _upload_page(form, problems=exc.problems, status=400)
    token = imports.keep_upload(current_user, filename, data)
    return _preview_page(plan, token, filename)


@bp.route("/organisation/import/apply", methods=["POST"])
@admin_required
def org_import_apply():
    upload = imports.upload_for(current_user, request.form.get("token", ""))
    if upload is None:
        flash(_("This preview has expired: please upload the file again."), "error")
        return _upload_page(CatalogueUploadForm(formdata=None), status=410)
    retire_missing = request.form.get("retire_missing") == "1"
    try:
        plan = imports.import_catalogue(
            upload.data,
            upload.filename,
            retire_missing=retire_missing,
            expected=request.form.get("fingerprint", ""),
            actor=current_user,
            client_address=request.remote_addr,
            via="office",
        )
    except imports.StalePlan as stale:
        flash(
            _(
                "The catalogue changed since this preview, so nothing was applied. "
                "This is what the file would change now."
            ),
            "error",
        )
        return _preview_page(stale.plan, upload.token, upload.filename, status=409)
    except imports.CatalogueRefused as exc:
        flash(
            _("The file was refused and nothing changed. Please correct every row:"),
            "error",
        )
        return _upload_page(
            CatalogueUploadForm(formdata=None), problems=exc.problems, status=400
        )
    imports.discard_upload(upload)
    counts = plan.counts()
    flash(
        _(
            "Catalogue updated: %(added)d added, %(changed)d changed, "
            "%(retired)d retired.",
            added=sum(c["added"] for c in counts.values()),
            changed=sum(
                c["renamed"] + c["moved"] + c["restored"] for c in counts.values()
            ),
            retired=sum(c["retired"] for c in counts.values()),
        ),
        "success",
    )
    return redirect(url_for("office.organisation"))


def _download(data: bytes, fmt: str, stem: str) -> FlaskResponse:
    name = f"{stem}.{fmt}"
    return FlaskResponse(
        data,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/organisation/catalogue.<fmt>")
@admin_required
def org_export(fmt: str):
    if fmt not in exports.FORMATS:
        abort(404)
    stem = f"catalogue-{date.today().isoformat()}"
    return _download(exports.catalogue_bytes(fmt), fmt, stem)


@bp.route("/organisation/template.<fmt>")
@admin_required
def org_template(fmt: str):
    if fmt not in exports.FORMATS:
        abort(404)
    return _download(exports.template_bytes(fmt), fmt, "catalogue-template")
