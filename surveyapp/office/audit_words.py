"""The audit log's actions in words (the log stores stable codes; the page
shows what happened in the reader's language)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "login": _l("Signed in"),
    "change_password": _l("Changed own password"),
    "password_link": _l("Issued a password link"),
    "password_set_by_link": _l("Set a password by link"),
    "create_user": _l("Created an account"),
    "update_user": _l("Changed an account"),
    "enable_user": _l("Enabled an account"),
    "disable_user": _l("Disabled an account"),
    "create_firm": _l("Created a firm"),
    "activate_firm": _l("Activated a firm"),
    "deactivate_firm": _l("Deactivated a firm"),
    "create_project": _l("Created a project"),
    "assign_firm": _l("Assigned a firm to a project"),
    "org_add": _l("Added a hall, window, department or service"),
    "org_edit": _l("Edited a hall, window, department or service"),
    "org_retire": _l("Retired a hall, window, department or service"),
    "org_restore": _l("Restored a hall, window, department or service"),
    "org_import": _l("Imported the organisation from a spreadsheet"),
    "create_questionnaire": _l("Created a questionnaire"),
    "import_questionnaire": _l("Imported a questionnaire (XLSForm)"),
    "install_questionnaire": _l("Installed the standard questionnaire"),
    "publish_questionnaire": _l("Published a questionnaire version"),
    "discard_questionnaire_draft": _l("Discarded a questionnaire draft"),
    "assign_questionnaire": _l("Assigned a questionnaire"),
    "qr_poster": _l("Printed a QR poster"),
    "qr_export": _l("Exported QR codes"),
    "quality.accept": _l("Accepted a response on review"),
    "quality.reject": _l("Rejected a response on review"),
    "quality.reverse": _l("Reversed a review decision"),
    "quality.screen_link": _l("Opened a window's rotating-code screen link"),
    "complaints.withdraw_case": _l("Withdrew a case"),
    "complaints.restore_case": _l("Restored a case"),
    "complaints.reveal_phone": _l("Revealed a citizen's phone number"),
    "complaints.delete_phone": _l("Deleted a citizen's phone number"),
    "export_responses": _l("Exported responses"),
    "export_cases": _l("Exported cases"),
    "export_callbacks": _l("Exported a call-back list"),
    "publish_index_run": _l("Published an index run"),
    "supersede_index_run": _l("Superseded an index run"),
    "retention_purge": _l("Purged data past retention"),
    "backup_create": _l("Made a backup"),
    "backup_restore": _l("Restored a backup"),
}


def action_label(code: str) -> str:
    """The action in words; a code this release does not know, as is."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
