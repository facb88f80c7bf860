"""Receipt codes (回执码): the reference a citizen follows a complaint by.

A response with a bad rating or a complaint text gets a code of 12 Crockford
base32 characters (60 bits), shown as three groups of four (``7KQ2-M9XD-4TPB``):
unguessable, easy to read out on the phone (no I, L, O or U; the reader takes
i/l as 1 and o as 0), and carrying nothing about the citizen.

The code is derived from the response's random public id with a keyed hash
(HASH_SALT), so the thank-you page can show it again without storing it; the
database holds only a second keyed hash of the code. The code works like a
password (it reads the hall's reply and rates the fix once), so a copy of the
database or a backup must not yield working codes.
"""

from __future__ import annotations

from surveyapp.security import salted_hash

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12  # characters of 5 bits: 60 bits
GROUP = 4
# What people type for what they read: Crockford's decoding rules.
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def needs_receipt(overall: int | None, comment: str, max_bad: int) -> bool:
    """A bad rating (at or below `max_bad`) or any complaint text gets a code."""
    return (overall is not None and overall <= max_bad) or bool((comment or "").strip())


def receipt_code(public_id: str) -> str:
    """The response's code, grouped for reading."""
    digest = int(salted_hash(public_id, purpose="receipt-code"), 16)
    chars = []
    for _ in range(LENGTH):
        chars.append(ALPHABET[digest & 31])
        digest >>= 5
    plain = "".join(chars)
    return "-".join(plain[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise(text: str | None) -> str | None:
    """The code as typed (any case, spaces or dashes, i/l/o) in canonical
    grouped form; None when it cannot be a code."""
    plain = "".join((text or "").upper().split()).replace("-", "").translate(_READ_AS)
    if len(plain) != LENGTH or any(c not in ALPHABET for c in plain):
        return None
    return "-".join(plain[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def receipt_hash(code: str) -> str:
    """What is stored: a keyed hash of the canonical code."""
    return salted_hash(code, purpose="receipt")


def receipt_hash_for(public_id: str) -> str:
    return receipt_hash(receipt_code(public_id))
