"""Forms of the user-management and password pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from surveyapp.models.users import ROLES
from surveyapp.numbers import parse_id
from surveyapp.services.admin.users import MAX_PASSWORD, MIN_PASSWORD

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "analyst": _l("Analyst"),
    "firm_manager": _l("Firm manager"),
    "interviewer": _l("Interviewer"),
}


def _firm_id(value) -> int | None:
    """The chosen firm; anything but an id (`abc`, a huge number) is none."""
    if isinstance(value, int):
        return value
    return parse_id(value)


class UserForm(FlaskForm):
    """An account's role, firm (for firm roles) and display name."""

    display_name = StringField(_l("Display name"), validators=[Length(max=120)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES],
        validators=[DataRequired()],
    )
    firm_id = SelectField(_l("Firm (firm roles only)"), coerce=_firm_id)

    def set_firms(self, firms) -> UserForm:
        self.firm_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(f.id, f.name) for f in firms
        ]
        return self


class NewUserForm(UserForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])


def _new_password_fields():
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=MAX_PASSWORD)],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )
    return new, confirm


class SetPasswordForm(FlaskForm):
    """A new password, by a one-time link."""

    new_password, confirm = _new_password_fields()


class ChangePasswordForm(FlaskForm):
    """A user's own change: the current password first."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD)]
    )
    new_password, confirm = _new_password_fields()
