"""Short confirmation codes a caller can read out or type: 6 characters, no look-alikes.

The alphabet leaves out characters that are easily confused on paper or on a
phone screen (0/O/Q, 1/I/L, 2/Z, 5/S, 6/G, 8/B).
"""

from __future__ import annotations

import re
import secrets

from services.common.errors import InvalidInput

ALPHABET = "ACDEFHJKMNPRTUVWXY3479"
LENGTH = 6
_CODE = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")
_SEPARATORS = re.compile(r"[\s\-_.]")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_code(raw: str) -> str:
    """The code as stored, from what a caller typed (any case, spaces or dashes); InvalidInput if malformed."""
    code = _SEPARATORS.sub("", raw).upper()
    if not _CODE.match(code):
        raise InvalidInput(f"a confirmation code is {LENGTH} characters from {ALPHABET}, got {raw[:20]!r}")
    return code


def spell(code: str) -> str:
    """The code as the voice should read it: one character at a time."""
    return " ".join(code)
