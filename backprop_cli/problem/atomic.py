"""Writing a file all at once or not at all: through a temporary file in the same folder,
renamed over the target only when everything was written. Any OSError becomes a
WriteError naming the path."""

from __future__ import annotations

import contextlib
import os

from backprop_cli.errors import WriteError


@contextlib.contextmanager
def atomic_file(path: str, binary: bool = False):
    """Yield a file to write; on success it replaces `path` (keeping an existing file's
    permissions), on any failure it vanishes and `path` is untouched."""
    import tempfile  # only when writing: it costs start-up time every command would pay

    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".backprop-", suffix=".tmp", dir=folder)
    except OSError as e:
        raise WriteError(path, e) from None
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else
                                                       {"encoding": "utf-8"})) as f:
            yield f
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        else:  # mkstemp makes 0600; a new file gets the usual umask-based mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise WriteError(path, e) from None
        raise
