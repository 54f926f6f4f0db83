"""Text files as editors save them: UTF-8 (with or without a byte order mark) or UTF-16/32 with one.

Windows tools (Notepad's "Unicode", PowerShell's `>` redirection, Excel's "Unicode Text") write
UTF-16 with a byte order mark; the mark says how to read the file, so reading it is cheaper for
the user than a refusal.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


class NotText(ValueError):
    """Bytes that are not text in an encoding this app reads; the message says what they are."""


def decode_text(raw: bytes) -> tuple[str, str]:
    """(text without its byte order mark, encoding name): decoded by the mark, else as UTF-8.

    Raises NotText with the first bad byte's line, or a hint when the bytes look like UTF-16 that
    lost its mark (every other byte NUL)."""
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            body = raw[len(bom):]
            try:
                return body.decode(codec), name
            except UnicodeDecodeError as err:
                raise NotText(f"starts with a {name} byte order mark but is not valid {name} "
                              f"(bad bytes at byte {err.start + len(bom)}); save it again as UTF-8") from None
    if _looks_like_utf16(raw):
        raise NotText("looks like UTF-16 text without a byte order mark; save it again as UTF-8")
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise NotText(f"is not UTF-8 text (byte 0x{raw[err.start]:02x} on line {line}); save it again "
                      "with UTF-8 encoding") from None


def _looks_like_utf16(raw: bytes) -> bool:
    """Most of the odd (or even) bytes are NUL: ASCII text written as UTF-16 without its mark."""
    head = raw[:512]
    if len(head) < 4:
        return False
    half = len(head) // 2
    return head[1::2].count(0) > 0.8 * half or head[0::2].count(0) > 0.8 * half

def file_problem(path: "str | os.PathLike[str]") -> str | None:
    """Why `path` is not a regular file this app can read, as a phrase ("no such file", "is a
    folder" ...), or None. Device files and pipes are refused here: reading /dev/zero never ends
    and reading a FIFO waits for a writer that may never come."""
    try:
        info = os.stat(path)
    except UnicodeEncodeError:
        return "is not a valid file name (it contains a lone surrogate)"
    except ValueError:  # os functions refuse an embedded NUL with ValueError
        return "is not a valid file name (it contains a NUL character)"
    except FileNotFoundError:
        return "no such file"
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "is a symbolic link that leads back to itself (a link loop), not a file"
        if err.errno == errno.ENAMETOOLONG:
            return "is not a valid file name (it is too long)"
        if err.errno == errno.ENOTDIR:
            return "no such file (a part of the path is a file, not a folder)"
        return f"cannot be opened ({err.strerror or err})"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        kind = "a pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else (
            "a socket" if stat.S_ISSOCK(info.st_mode) else "a device file")
        return f"is {kind}, not a regular file"
    return None


def read_text_head(path: "str | os.PathLike[str]", limit: int = 1 << 16) -> str:
    """The first whole lines of a text file (at most `limit` bytes), decoded as `decode_text` would,
    for previews: undecodable bytes become U+FFFD instead of an error. Raises NotText (naming what
    the path is) for anything but a regular file, so a preview never blocks on a pipe or reads
    /dev/zero forever."""
    problem = file_problem(path)
    if problem:
        raise NotText(problem)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit)
    except OSError as err:
        raise NotText(f"cannot be read ({err.strerror or err})") from None
    codec = next((c for bom, c, _ in _BOMS if raw.startswith(bom)), None)
    body = raw[len(next(b for b, c, _ in _BOMS if c == codec)):] if codec else raw
    text = codecs.getincrementaldecoder(codec or "utf-8")(errors="replace").decode(body, final=len(raw) < limit)
    if len(raw) == limit and "\n" in text:
        text = text[:text.rindex("\n") + 1]  # no half row at the end
    return text
