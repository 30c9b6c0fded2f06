"""Text for the terminal: names from AWS or a snapshot file never drive the terminal.

IAM, an account alias or a hand-made snapshot can carry control characters (an ANSI escape
sequence, a carriage return that overwrites the line, a backspace) or bidi overrides that show
text reversed. Every line the command line prints goes through :func:`printable`.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline (the line structure is ours), DEL, C1 controls, and the
# bidi marks, embeddings, overrides and isolates.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` without the characters that would control the terminal."""
    return _UNPRINTABLE.sub("", text)
