"""Firm routes."""

from flask import render_template

from surveyapp.firm import bp


@bp.route("/")
def index():
    return render_template("firm/index.html")
