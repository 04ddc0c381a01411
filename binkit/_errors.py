"""The exception raised at binkit's public edge (the checks that raise it are in :mod:`binkit._checks`),
and the two helpers that keep its messages to one printable line."""

__all__ = ["InputError", "first_line", "shown"]


class InputError(ValueError):
    """Bad input given to binkit: a file that cannot be read as an image, a
    ground truth that is inverted or of the wrong size, an array of the wrong
    shape or dtype, and so on.

    The message is one line and names the offending file (or argument), so a
    command-line tool can print it as is, without a traceback.
    """


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message, else its type's name.

    Errors raised by other libraries on a hostile file may carry an empty or
    a many-line message (``EOFError()``, an unpickler's report); a message
    built from them must still be one line, and never fail itself.
    """
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def shown(text) -> str:
    """``text`` as it can be printed or stored as UTF-8: undecodable bytes of a file name as ``\\xNN``.

    Python gives a file name that is not valid UTF-8 "surrogate escapes"
    (``b"\\xff"`` becomes ``"\\udcff"``), which a strict UTF-8 stream or file
    refuses to encode; this writes each such byte as the four characters
    ``\\xff`` instead, as ``ls -b`` does.
    """
    text = str(text)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no byte stands for
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def _escape_names(error):
    """Codec error handler: what a stream cannot encode, as :func:`shown` writes it."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return shown(error.object[error.start:error.end]).encode("ascii", "backslashreplace").decode(), error.end


def printable_streams():
    """Make stdout and stderr write what they cannot encode as escapes; return how to put them back.

    A file name that is not valid UTF-8 reaches Python as surrogate escapes,
    which a strict UTF-8 stdout refuses: the report of a finished batch (or
    evaluate's table, before its --json) would end in a UnicodeEncodeError.
    """
    import codecs
    import sys

    try:
        codecs.lookup_error("binkit.shown")
    except LookupError:
        codecs.register_error("binkit.shown", _escape_names)
    saved = []
    for stream in (sys.stdout, sys.stderr):
        errors = getattr(stream, "errors", None)
        if errors in (None, "binkit.shown") or not hasattr(stream, "reconfigure"):
            continue
        try:
            stream.reconfigure(errors="binkit.shown")
            saved.append((stream, errors))
        except (ValueError, OSError):  # not a text stream we may reconfigure
            pass

    def restore():
        for stream, errors in saved:
            try:
                stream.reconfigure(errors=errors)
            except (ValueError, OSError):
                pass

    return restore
