"""Writing an output file (-o of new, step, draw, step --plot, solve --diagram): all at
once where a file can be replaced, straight through where it cannot.

What the name is decides how it is written:

- a regular file, or nothing yet: the output goes to a temporary file in the same folder,
  is flushed to the disk (fsync) and renamed over the name only when all of it was written:
  the old contents or the new, never half of either, and no temporary file left behind.
  An existing file keeps its permission bits (and its owner and group where the system
  allows it); a new file gets the usual umask-based mode. (A hard link elsewhere keeps
  the old contents: the rename makes a new file.)
- a symbolic link, or a chain of them: followed; the file at its end is replaced as above,
  through a temporary file in that file's folder, and the links stay links. A dangling
  link creates the file it names.
- anything else (a named pipe, a character device such as /dev/null or a terminal, an open
  descriptor such as /dev/stdout or /dev/fd/3): written straight through, never replaced
  nor removed. It is opened for writing (a named pipe waits for its reader) and written
  while the output is made, so nothing promises all or nothing there: a failure midway
  (the reader gone, a full disk) can leave part of the output written. A descriptor that
  names a regular file (stdout redirected to a file) is appended to, as the shell's own
  stream is.
- a directory: a WriteError (Is a directory) before anything is written.

Any OSError becomes a WriteError naming the path as given.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat

from backprop_cli.errors import WriteError

MAX_LINKS = 40  # as Linux's own limit on following symbolic links
# A process's open descriptors: /proc/PID/fd, /proc/PID/task/TID/fd (/dev/fd, /dev/stdout).
_DESCRIPTORS = re.compile(r"/proc/[^/]+(?:/task/[^/]+)?/fd")


@contextlib.contextmanager
def atomic_file(path: str, binary: bool = False):
    """Yield a file to write `path` through, as the module says: a regular file (or a link
    to one, or nothing yet) is replaced only on success and untouched on any failure; a
    pipe or a device is written straight through."""
    try:
        found = _stat(path)
        target = _target(path)
    except OSError as e:
        raise WriteError(path, e) from None
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise WriteError(path, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    if target is None or (found is not None and not stat.S_ISREG(found.st_mode)):
        with _through(path, binary) as f:
            yield f
    else:
        with _replacing(path, target, found, binary) as f:
            yield f


def replaces(path: str) -> bool:
    """Whether writing `path` would replace an existing regular file (directly or through
    links), rather than create one or write straight through a pipe, device or descriptor."""
    try:
        found = _stat(path)
        return found is not None and stat.S_ISREG(found.st_mode) and _target(path) is not None
    except OSError:  # the write itself will say what is wrong
        return False


def _stat(path: str) -> os.stat_result | None:
    """What `path` names at the end of its links, or None when nothing is there yet."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _target(path: str) -> str | None:
    """The name at the end of `path`'s chain of symbolic links (each relative link read
    from its own folder), or None when the chain passes through an open descriptor."""
    name = path
    for _ in range(MAX_LINKS):
        if not os.path.islink(name):
            return name
        folder = os.path.dirname(name)
        if _DESCRIPTORS.fullmatch(os.path.realpath(folder or os.curdir)):
            return None
        name = os.path.join(folder, os.readlink(name))
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))


def _open_args(binary: bool) -> dict:
    return {} if binary else {"encoding": "utf-8"}


@contextlib.contextmanager
def _through(path: str, binary: bool):
    """A pipe, a device or an open descriptor: opened and written as it is, never replaced."""
    try:
        with open(path, "ab" if binary else "a", **_open_args(binary)) as f:
            yield f
    except OSError as e:
        raise WriteError(path, e) from None


@contextlib.contextmanager
def _replacing(path: str, target: str, found: os.stat_result | None, binary: bool):
    """A temporary file beside `target`, fsynced and renamed over it on success only."""
    import tempfile  # only when writing: it costs start-up time every command would pay

    folder = os.path.dirname(target) or os.curdir  # not normalised: "link/.." as the kernel
    try:
        fd, tmp = tempfile.mkstemp(prefix=".backprop-", suffix=".tmp", dir=folder)
    except OSError as e:
        raise WriteError(path, e) from None
    try:
        with os.fdopen(fd, "wb" if binary else "w", **_open_args(binary)) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _keep_mode(tmp, found)
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise WriteError(path, e) from None
        raise
    _sync_folder(folder)


def _keep_mode(tmp: str, found: os.stat_result | None) -> None:
    if found is None:  # mkstemp makes 0600; a new file gets the usual umask-based mode
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        return
    if (found.st_uid, found.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(PermissionError):  # only root may give files away
            os.chown(tmp, found.st_uid, found.st_gid)
    os.chmod(tmp, stat.S_IMODE(found.st_mode))


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable; a folder that cannot be opened or synced (some file
    systems) is no error, the file is already complete."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
