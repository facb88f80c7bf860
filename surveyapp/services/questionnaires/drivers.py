"""The index's drivers per questionnaire version: which ratings of a response
feed which dimension, and the method note when one run mixes versions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from surveyapp.extensions import db
from surveyapp.models import QuestionnaireVersion
from surveyapp.services.questionnaires.definitions import drivers_of


def version_definitions(version_ids: Iterable[int]) -> dict[int, tuple[str, dict]]:
    """Version id -> (its label, e.g. HCP-v2, and its definition)."""
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    versions = db.session.scalars(
        select(QuestionnaireVersion)
        .options(joinedload(QuestionnaireVersion.questionnaire))
        .where(QuestionnaireVersion.id.in_(ids))
    )
    return {v.id: (v.label, v.definition) for v in versions}


def versions_note(
    versions: Sequence[tuple[str, dict]], dimensions: Sequence[str]
) -> str | None:
    """The method note of a run whose responses answered more than one
    version (None for one): which drivers each asked, and what that means."""
    if len(versions) < 2:
        return None
    asked = [(label, [d.key for d in drivers_of(defn)]) for label, defn in versions]
    listed = "; ".join(
        f"{label} ({', '.join(keys) or 'none'})" for label, keys in asked
    )
    if len({tuple(keys) for _label, keys in asked}) == 1:
        return (
            f"Responses answered {len(versions)} questionnaire versions, with the "
            f"same drivers: {listed}."
        )
    unused = sorted({k for _label, keys in asked for k in keys} - set(dimensions))
    note = (
        f"Responses answered {len(versions)} questionnaire versions with different "
        f"drivers: {listed}. Each response's drivers come from the version it "
        "answered; a dimension its version does not ask is missing for it (a "
        "response missing half of them is excluded)."
    )
    if unused:
        note += (
            f" Drivers that are not index dimensions are not used: {', '.join(unused)}."
        )
    return note
