"""Both catalogs translate every string, and the catalogs match the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = ROOT / "surveyapp" / "translations"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_message_is_translated(lang):
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale=lang)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == []


def test_catalogs_cover_every_string_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "surveyapp",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as fh:
        wanted = {
            m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id
        }
    with open(CATALOGS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    assert len(wanted) > 50  # extraction found the strings
    assert sorted(wanted - have) == []


class _AnyValue(dict):
    """A formatting mapping that answers every placeholder with a number."""

    def __missing__(self, key):
        return 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_messages_format_in_both_languages(lang, tmp_path):
    # Jinja's new-style gettext always applies `%`, so a bare "%" in a template
    # message is a 500 on the page that shows it.
    pot = tmp_path / "templates.pot"
    mapping = tmp_path / "templates.cfg"
    mapping.write_text("[jinja2: templates/**.html]\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(mapping),
            "-o",
            str(pot),
            "surveyapp",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as fh:
        ids = {m.id for m in read_po(fh) if m.id and isinstance(m.id, str)}
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale=lang)
    broken = []
    for message_id in sorted(ids):
        for text in (message_id, catalog.get(message_id).string or ""):
            try:
                text % _AnyValue()
            except (ValueError, TypeError, KeyError):
                broken.append(text)
    assert len(ids) > 50
    assert broken == []
