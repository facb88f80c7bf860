"""Problems found in a questionnaire (its definition, the builder's fields,
an XLSForm being read), each with its message in English (the command line)
and in the request's language (the office)."""

from __future__ import annotations

from dataclasses import dataclass, field

from surveyapp.analysis.conditions import ConditionError


def N_(text: str) -> str:
    """Marks a message for the catalogs; translated when it is shown."""
    return text


MESSAGES = {
    "title_zh": N_("The questionnaire needs a Chinese title."),
    "no_questions": N_("A questionnaire needs at least one question."),
    "kind": N_("Question %(key)s: unknown kind %(kind)s."),
    "key_invalid": N_(
        "%(key)s is not a valid name: use up to 48 letters, digits and _, "
        "starting with a letter."
    ),
    "key_duplicate": N_("The name %(key)s is used twice."),
    "key_reserved": N_("The name %(key)s is reserved for the export; choose another."),
    "label_zh": N_("Question %(key)s has no Chinese label."),
    "options": N_("Question %(key)s needs at least two options."),
    "option_values": N_(
        "Question %(key)s: every option needs a value, and no two the same."
    ),
    "option_spaces": N_("Question %(key)s: option values may not contain spaces or |."),
    "rating_options": N_(
        "Question %(key)s: a five-level rating needs exactly the options 1 to 5."
    ),
    "items": N_("Rating grid %(key)s needs at least one item."),
    "scale": N_("Rating grid %(key)s must use five levels."),
    "group_empty": N_("Group %(key)s has no questions."),
    "range": N_(
        "Question %(key)s: the smallest allowed value is larger than the largest."
    ),
    "appearance": N_(
        "Question %(key)s: appearance %(appearance)s is not supported for this "
        "kind of question."
    ),
    "condition_unknown": N_(
        "Question %(key)s: the condition uses %(ref)s, which does not exist."
    ),
    "condition_later": N_(
        "Question %(key)s: the condition uses %(ref)s, which is not asked before "
        "it; a condition may only use earlier questions."
    ),
    "condition_no_answer": N_(
        "Question %(key)s: the condition uses %(ref)s, which has no answer of its own."
    ),
    "overall_missing": N_(
        "There is no overall rating: add a five-level rating named overall "
        "(options 1 to 5)."
    ),
    "overall_conditional": N_(
        "The overall rating must be asked of everyone: remove its condition."
    ),
    "overall_optional": N_("The overall rating must be required."),
    "drivers_not_indexed": N_(
        "The rating grid items %(keys)s are not dimensions of the satisfaction "
        "index (%(dimensions)s): the index will not use them."
    ),
    "no_drivers": N_(
        "There is no rating grid: the satisfaction index cannot use these responses."
    ),
    # the builder's fields
    "options_line": N_("Options, line %(line)s: write each as value | 中文 | English."),
    "items_line": N_("Items, line %(line)s: write each as name | 中文 | English."),
    "number_invalid": N_("Question %(key)s: %(value)s is not a number."),
    "pick_incomplete": N_(
        "Question %(key)s: to add a condition, choose a question and a value."
    ),
    "group_itself": N_("Group %(key)s cannot be put inside itself."),
    # reading an XLSForm
    "xls_unreadable": N_("The file could not be read as an XLSForm: %(message)s"),
    "xls_type": N_("Row %(row)s: type %(type)s (%(name)s) is not supported."),
    "xls_column": N_("Row %(row)s (%(name)s): column %(column)s is not supported."),
    "xls_ignored": N_(
        "Row %(row)s (%(name)s): column %(column)s is ignored (surveyapp shows "
        "its own messages)."
    ),
    "xls_language": N_(
        "Row %(row)s (%(name)s): language %(language)s is not supported (use "
        "Chinese (zh) and English (en))."
    ),
    "xls_name": N_(
        "Row %(row)s: name %(name)s is not supported (use up to 48 letters, "
        "digits and _, starting with a letter)."
    ),
    "xls_duplicate": N_("Row %(row)s: the name %(name)s is used twice."),
    "xls_relevant": N_(
        "Row %(row)s (%(name)s): relevant %(expression)s is outside the "
        "supported subset."
    ),
    "xls_constraint": N_(
        "Row %(row)s (%(name)s): constraint %(expression)s is not supported "
        "(write it like . >= 0 and . <= 120)."
    ),
    "xls_required": N_(
        "Row %(row)s (%(name)s): required must be yes or no, not %(value)s."
    ),
    "xls_appearance": N_(
        "Row %(row)s (%(name)s): appearance %(appearance)s is not supported for "
        "type %(type)s."
    ),
    "xls_choice_column": N_(
        "Choices of list %(list)s: column %(column)s is not supported."
    ),
    # a condition outside the subset (ConditionError codes)
    "condition_empty": N_("Question %(key)s: the condition is empty."),
    "condition_syntax": N_(
        "Question %(key)s: the condition has an unexpected %(found)s at character "
        "%(position)s."
    ),
    "condition_end": N_("Question %(key)s: the condition ends too early."),
    "condition_function": N_(
        "Question %(key)s: %(name)s() cannot be used in a condition (only selected())."
    ),
    "condition_word": N_(
        "Question %(key)s: %(name)s cannot be used in a condition (use and, or, "
        "selected())."
    ),
    "condition_name": N_("Question %(key)s: %(name)s is not a question name."),
    "condition_two_refs": N_(
        "Question %(key)s: compare a question with a value, not with another question."
    ),
    "condition_no_ref": N_(
        "Question %(key)s: each comparison needs a question, written ${name}."
    ),
    "condition_self": N_(
        "Question %(key)s: '.' can only be used in a number's constraint."
    ),
    "condition_shape": N_("Question %(key)s: the condition is not valid (%(detail)s)."),
}


@dataclass
class Problem:
    """Something that keeps a definition from being published (or, when
    `warning`, that its author should know). `str()` is English (the
    command line); `text()` is in the request's language."""

    code: str
    key: str | None = None
    params: dict = field(default_factory=dict)
    warning: bool = False
    detail: Problem | None = None  # the reason, for a message that needs one

    def _values(self) -> dict:
        return {"key": self.key or "", **self.params}

    def text(self) -> str:
        from flask_babel import gettext

        text = gettext(MESSAGES[self.code], **self._values())
        return f"{text} {self.detail.text()}" if self.detail else text

    def __str__(self) -> str:
        text = MESSAGES[self.code] % self._values()
        return f"{text} {self.detail}" if self.detail else text


def condition_problem(error: ConditionError, key: str | None) -> Problem:
    return Problem(f"condition_{error.code}", key, dict(error.params))


class DefinitionError(ValueError):
    """A definition that cannot be stored or published; `problems` says why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))
