"""Output files (-o of new, step, draw, step --plot, solve --diagram): a regular file is
replaced all at once (temporary file beside it, fsync, rename, mode kept), a symbolic link
is followed and its target replaced (the link kept), and what is not a regular file (a
named pipe, /dev/null, /dev/stdout) is written straight through, never replaced."""

import errno
import os
import stat
import subprocess
import sys
import tempfile
import threading

import pytest
import yaml
from helpers import CLASSIC, ROOT

from backprop_cli.errors import WriteError
from backprop_cli.problem import atomic
from backprop_cli.problem.atomic import atomic_file

NEW = ["new", "--layers", "2,2", "--seed", "3"]


def _leftovers(*folders):
    return [name for folder in folders for name in os.listdir(folder)
            if name.startswith(".backprop-")]


def _classic_copy(path):
    path.write_text(CLASSIC.read_text())
    return path


# ------------------------------------------------------------------ regular files


def test_a_regular_file_is_replaced_with_its_mode_kept(tmp_path):
    target = tmp_path / "p.yaml"
    target.write_text("old\n")
    target.chmod(0o640)
    old_inode = target.stat().st_ino
    with atomic_file(str(target)) as f:
        f.write("new\n")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_ino != old_inode  # replaced by a rename, not rewritten in place
    assert _leftovers(tmp_path) == []


def test_a_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        with atomic_file(str(tmp_path / "new.yaml")) as f:
            f.write("x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o640


def test_the_data_is_synced_before_the_rename(tmp_path, monkeypatch):
    order = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (order.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (order.append("rename"), real_replace(a, b))[1])
    with atomic_file(str(tmp_path / "p.yaml")) as f:
        f.write("x\n")
    assert order[:2] == ["fsync", "rename"]


@pytest.mark.parametrize("failure", [RuntimeError("midway"),
                                     OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))])
def test_a_failure_midway_leaves_the_old_file_and_no_temporary_file(tmp_path, failure):
    target = tmp_path / "p.yaml"
    target.write_text("old\n")
    with pytest.raises((RuntimeError, WriteError)) as caught:
        with atomic_file(str(target)) as f:
            f.write("half of the new")
            raise failure
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []
    if isinstance(failure, OSError):
        assert str(caught.value) == f"{target}: cannot write: No space left on device"


def test_a_failed_fsync_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "p.yaml"
    target.write_text("old\n")

    def broken(fd):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(WriteError, match="cannot write: Input/output error"):
        with atomic_file(str(target)) as f:
            f.write("new\n")
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_a_failure_midway_through_the_cli_keeps_the_old_file(run, tmp_path, monkeypatch):
    from backprop_cli.problem import documents

    target = _classic_copy(tmp_path / "p.yaml")
    before = target.read_bytes()

    def half(doc, kind, stream):
        stream.write("title: half\n")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(documents, "write", half)
    result = run("step", target, "-o", target)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {target}: cannot write: No space left on device\n"
    assert target.read_bytes() == before
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("command", [["step", CLASSIC], NEW])
def test_a_directory_is_a_clean_error(run, tmp_path, command):
    result = run(*command, "-o", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path}: cannot write: Is a directory\n"
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------ symbolic links


def _links(tmp_path, kind):
    """(what -o names, the regular file at the end of its links)."""
    (tmp_path / "data").mkdir()
    real = _classic_copy(tmp_path / "data" / "real.yaml")
    work = tmp_path / "work"
    work.mkdir()
    link = work / "link.yaml"
    if kind == "relative":
        link.symlink_to(os.path.join("..", "data", "real.yaml"))
    elif kind == "absolute":
        link.symlink_to(real)
    else:  # a chain of two: a relative link to an absolute one
        (tmp_path / "data" / "middle.yaml").symlink_to(real)
        link.symlink_to(os.path.join("..", "data", "middle.yaml"))
    return link, real


@pytest.mark.parametrize("kind", ["relative", "absolute", "chain"])
def test_step_through_a_link_updates_its_target_and_keeps_the_link(run, tmp_path, kind,
                                                                   monkeypatch):
    link, real = _links(tmp_path, kind)
    real.chmod(0o640)
    before = yaml.safe_load(real.read_text())["layers"][0]["weights"]
    folders = []
    real_mkstemp = tempfile.mkstemp
    monkeypatch.setattr(tempfile, "mkstemp",
                        lambda **kw: (folders.append(os.path.realpath(kw["dir"])),
                                      real_mkstemp(**kw))[1])
    result = run("step", link, "-o", link, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and os.path.realpath(link) == str(real)
    if kind == "chain":
        assert (tmp_path / "data" / "middle.yaml").is_symlink()
    after = yaml.safe_load(real.read_text())["layers"][0]["weights"]
    assert after != before  # the target holds the update
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert folders == [str(real.parent)]  # the temporary file beside the target
    assert _leftovers(real.parent, link.parent) == []


def test_a_dangling_link_creates_its_target(run, tmp_path):
    link = tmp_path / "link.yaml"
    link.symlink_to("made.yaml")
    result = run(*NEW, "-o", link)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert yaml.safe_load((tmp_path / "made.yaml").read_text())["layers"]


def test_a_link_loop_is_a_clean_error(run, tmp_path):
    loop = tmp_path / "loop.yaml"
    loop.symlink_to("loop.yaml")
    result = run(*NEW, "-o", loop)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {loop}: cannot write: Too many levels of symbolic links\n"


def test_every_picture_goes_through_the_same_helper(run, tmp_path):
    pytest.importorskip("matplotlib")
    commands = {
        "draw.svg": ["draw", CLASSIC, "-o"],
        "plot.svg": ["step", CLASSIC, "--steps", "3", "--format", "json", "--plot"],
        "diagram.png": ["solve", CLASSIC, "--format", "markdown", "--diagram"],
    }
    for name, command in commands.items():
        real = tmp_path / f"real-{name}"
        link = tmp_path / name
        link.symlink_to(real.name)
        result = run(*command, link)
        assert result.exit_code == 0, (name, result.stderr)
        assert link.is_symlink() and real.stat().st_size > 0, name
    assert _leftovers(tmp_path) == []


# ------------------------------------------------------------------ not regular files


@pytest.fixture
def system_files():
    """A regression here (run as root) would replace /dev/null or /dev/stdout with a regular
    file: whatever the test did, they are put back after it, as the system made them."""
    yield
    if os.geteuid() != 0:
        return
    if not stat.S_ISCHR(os.lstat("/dev/null").st_mode):
        os.unlink("/dev/null")
        os.mknod("/dev/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        os.chmod("/dev/null", 0o666)
    if not os.path.islink("/dev/stdout"):
        os.unlink("/dev/stdout")
        os.symlink("/proc/self/fd/1", "/dev/stdout")


def test_a_named_pipe_is_written_through(run, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    result = run(*NEW, "-o", fifo)
    reader.join(timeout=10)
    assert result.exit_code == 0, result.stderr
    assert received == [run(*NEW).stdout]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the pipe
    assert _leftovers(tmp_path) == []


def test_dev_null_stays_a_device(run, system_files):
    result = run("step", CLASSIC, "-o", "/dev/null", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    assert _leftovers("/dev") == []


def _backprop(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "backprop_cli", *args], cwd=ROOT, check=True,
                          **kwargs)


def test_dev_stdout_on_a_pipe_is_written_through(system_files):
    expected = _backprop(*NEW, capture_output=True, text=True).stdout
    assert _backprop(*NEW, "-o", "/dev/stdout", capture_output=True, text=True).stdout \
        == expected
    assert os.path.islink("/dev/stdout")


def test_dev_stdout_on_a_file_is_appended_to_not_replaced(tmp_path, system_files):
    out = tmp_path / "out.yaml"
    out.write_text("# kept\n")
    inode = out.stat().st_ino
    with open(out, "a") as stream:
        _backprop(*NEW, "-o", "/dev/stdout", stdout=stream)
    assert out.stat().st_ino == inode and os.path.islink("/dev/stdout")
    expected = _backprop(*NEW, capture_output=True, text=True).stdout
    assert out.read_text() == "# kept\n" + expected


def test_the_descriptor_pattern_knows_procs_folders():
    assert atomic._DESCRIPTORS.fullmatch("/proc/123/fd")
    assert atomic._DESCRIPTORS.fullmatch("/proc/123/task/124/fd")
    assert not atomic._DESCRIPTORS.fullmatch("/home/fd")
