"""The site's own secrets: generated into instance/ on first run, reused after.

Without them every copy would sign sessions, form tickets and QR codes with
the same public key from the repository, and anyone could forge a session.
Production never generates: it refuses to start without its own
(config.check_production_secrets)."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

# Config key -> file in the instance directory.
SECRET_FILES = {"SECRET_KEY": "secret_key", "HASH_SALT": "hash_salt"}


def read_or_create(directory: Path, name: str) -> str:
    """The secret in `directory/name`, created (mode 0600) when missing.

    O_EXCL makes the first writer win when several processes start at once;
    the others read what it wrote."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    value = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value


def _read(path: Path) -> str:
    # Another process may have created the file a moment ago: give it time
    # to write its line.
    for _attempt in range(50):
        value = path.read_text(encoding="ascii").strip()
        if len(value) >= 32:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty or too short; delete it to renew it.")


def fill_missing_secrets(config: dict, directory: Path) -> None:
    """Each of SECRET_KEY and HASH_SALT not configured comes from its file."""
    for key, name in SECRET_FILES.items():
        if not config.get(key):
            config[key] = read_or_create(directory, name)
