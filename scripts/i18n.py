"""Refresh the translation catalogs: extract, update, fill, compile.

usage: python scripts/i18n.py [--zh FILE.tsv ...]

English messages are their own msgid. Chinese comes from the existing catalog,
or from TSV files (msgid<TAB>中文) given with --zh. Prints what is still missing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = ROOT / "surveyapp" / "translations"


def _run(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--zh", nargs="*", default=[], type=Path)
    args = parser.parse_args()
    zh: dict[str, str] = {}
    for tsv in args.zh:
        for line in tsv.read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                key, value = line.split("\t", 1)
                zh[key.replace("\\n", "\n")] = value.replace("\\n", "\n")
    pot = CATALOGS / "messages.pot"
    _run(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--no-location",
        "--omit-header",
        "-o",
        str(pot),
        "surveyapp",
    )
    _run(
        "update",
        "-i",
        str(pot),
        "-d",
        str(CATALOGS),
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )
    missing: list[str] = []
    for lang in ("zh", "en"):
        path = CATALOGS / lang / "LC_MESSAGES" / "messages.po"
        with open(path, "rb") as fh:
            catalog = read_po(fh, locale=lang)
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            if lang == "en":
                message.string = message.id
            elif key in zh:
                message.string = zh[key] if isinstance(message.id, str) else (zh[key],)
            elif not message.string:
                missing.append(key)
            message.flags.discard("fuzzy")
        with open(path, "wb") as fh:
            write_po(fh, catalog, width=88, omit_header=False)
    _run("compile", "-d", str(CATALOGS))
    for key in missing:
        print("missing zh:", key)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
