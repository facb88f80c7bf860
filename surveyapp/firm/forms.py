"""Forms of the firm's pages: sample size, allocation, uploads, callback list."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FloatField, IntegerField, SelectChoice, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional


class SampleSizeForm(FlaskForm):
    """Read from the query string: a calculator, nothing is stored."""

    class Meta:
        csrf = False

    margin = FloatField(
        _l("Margin of error (e.g. 0.05 for ±5 points)"),
        default=0.05,
        validators=[InputRequired(), NumberRange(0.001, 0.5)],
    )
    confidence = SelectField(
        _l("Confidence level"),
        default="0.95",
        choices=[
            SelectChoice("0.9", "90%"),
            SelectChoice("0.95", "95%"),
            SelectChoice("0.99", "99%"),
        ],
    )
    p = FloatField(
        _l("Expected proportion"),
        default=0.5,
        validators=[InputRequired(), NumberRange(0.01, 0.99)],
    )
    deff = FloatField(
        _l("Design effect"),
        default=1.0,
        validators=[InputRequired(), NumberRange(0.1, 20)],
    )
    population = IntegerField(
        _l("Population size (optional)"), validators=[Optional(), NumberRange(min=1)]
    )


class PlanForm(FlaskForm):
    n = IntegerField(
        _l("Sample size n"), validators=[InputRequired(), NumberRange(1, 1_000_000)]
    )
    method = SelectField(
        _l("Allocation"),
        choices=[
            SelectChoice("proportional", _l("Proportional to transaction volume")),
            SelectChoice("neyman", _l("Neyman (volume × standard deviation)")),
            SelectChoice("equal", _l("Equal per cell")),
        ],
    )
    minimum = IntegerField(
        _l("Minimum per cell"),
        default=0,
        validators=[Optional(), NumberRange(0, 100_000)],
    )
    sd_guess = FloatField(
        _l("Standard deviation (stated guess)"),
        default=0.5,
        validators=[Optional(), NumberRange(0.0, 100.0)],
    )
    previous_project = SelectField(
        _l("Previous wave for standard deviations"), coerce=int, default=0, choices=[]
    )

    def offer_previous_projects(self, projects) -> None:
        """The firm's other projects, by name, after "none" (0)."""
        self.previous_project.choices = [SelectChoice(0, "—")] + [
            SelectChoice(p.id, p.name) for p in projects
        ]


class UploadForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired()])


class CallbackForm(FlaskForm):
    n = IntegerField(
        _l("Number of calls"), validators=[DataRequired(), NumberRange(1, 100_000)]
    )
    seed = IntegerField(
        _l("Random start seed (optional, to reproduce a list)"),
        validators=[Optional(), NumberRange(0, 2**31 - 1)],
    )
    fmt = SelectField(
        _l("Format"), choices=[SelectChoice("csv", "CSV"), SelectChoice("xlsx", "XLSX")]
    )
