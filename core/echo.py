"""Values quoted back in error messages, bounded and printable.

A message that echoes what the user gave must stay one readable line: a 50 MB string, a deeply
nested list or a lone surrogate (which no terminal or Qt label can encode) must not be copied in
whole. Every message that quotes a value goes through `echo` (quoted, like repr) or `clip` (bare).
"""

from __future__ import annotations

import reprlib

ECHO_CHARS = 80  # at most this many characters of a value are shown

_REPR = reprlib.Repr()
_REPR.maxstring = ECHO_CHARS
_REPR.maxother = ECHO_CHARS
_REPR.maxlong = ECHO_CHARS
_REPR.maxlevel = 3
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6


def echo(value: object) -> str:
    """`value` as repr would show it (strings quoted, control characters and surrogates escaped),
    at most about ECHO_CHARS characters: longer values keep their start and end around '...'."""
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - a value whose repr fails is still worth naming by type
        text = f"<{type(value).__name__}>"
    return text if len(text) <= ECHO_CHARS + 10 else text[:ECHO_CHARS] + "..."


def clip(text: object) -> str:
    """`text` unquoted for a message (a key name, a path), escaped if it holds characters that
    cannot be printed, and cut to ECHO_CHARS characters with '...' and its full length."""
    text = str(text)
    n = len(text)
    if n > ECHO_CHARS:
        text = text[:ECHO_CHARS]
    if not text.isprintable():
        text = repr(text)[1:-1][:ECHO_CHARS]
    return text if n <= ECHO_CHARS else f"{text}... ({n:,} characters)"


def unencodable(text: str) -> str | None:
    """Why `text` cannot be used as text or a file name (a lone surrogate, a NUL), or None."""
    if "\x00" in text:
        return f"contains a NUL character (at position {text.index(chr(0))})"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return (f"contains a lone surrogate ({text[err.start]!r} at position {err.start}), which is not "
                "valid text")
    return None
