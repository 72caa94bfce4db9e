"""Reading and writing rigbench's files: one policy for every path a user gives and every file rigbench writes.

Writing. rigbench writes regular files only. The last component of an output path must be missing or a regular
file: a symbolic link, a directory, a device node (``/dev/null``), a FIFO or a socket is refused with one line,
because the atomic rename that protects a results file would otherwise replace the link or the device node itself
(``rename(2)`` replaces whatever directory entry holds the name). A path written with a trailing ``/`` names a
folder. A regular file is replaced only if the user may write it: the rename would pass over a read-only file.
Files are written atomically (a temporary file in the same directory, fsync, then rename), so a reader never sees
half a file and a crash never destroys the previous one. A new run's file is created exclusively
(``link(2)`` of the finished temporary file fails with ``EEXIST`` when the name is taken, the classic atomic
create-if-absent on POSIX), so two runs started in the same second never share a file: the second takes the next
free name (``-2``, ``-3`` ...).

Reading. A file a user gives (a results file, a price list) is read only if it is a regular file, up to a size
cap (``MAX_INPUT_BYTES``): ``/dev/zero`` is not read until memory runs out and a FIFO is not waited on. JSON nested
deeper than Python's parser can follow is refused with a message, and so is a rigbench document nested deeper than
:data:`MAX_JSON_DEPTH`. Every document carries
``"schema": "rigbench.<kind>/<version>"``; a document from a newer schema version is refused, not misread.

Where. A user's own files (runs without ``--out``, a refreshed price list) live in one per-user data folder:
:func:`user_data_dir`.
"""

from __future__ import annotations

import errno
import io
import json
import math
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import platformdirs

from rigbench.errors import UserError
from rigbench.units import one_line

# The largest file rigbench reads. A full (not --quick) results file of an 8-GPU machine is a few MB (every
# measurement keeps its samples and conditions); price lists and catalogs are kilobytes. 64 MiB leaves a wide margin
# and still fails fast on a wrong file (a disk image, /dev/zero).
MAX_INPUT_BYTES = 64 * 2 ** 20

_UNIQUE_TRIES = 1000

# The deepest nesting of objects and lists a rigbench document may have. Every file rigbench writes nests 6 levels
# (a results file: measurements, a record, its conditions, a GPU state, its list of reasons); 100 leaves room for any
# later field and stays far under the depth where Python's own recursive walkers of a document (its JSON writer,
# dataclasses.asdict) pass the interpreter's default limit of 1,000 frames: near 500 levels, measured on
# `results show --json`. Refused on reading, every command agrees on such a file instead of some failing later.
MAX_JSON_DEPTH = 100

DATA_DIR_ENV = "RIGBENCH_DATA_DIR"   # overrides the per-user data folder (tests, shared machines)


def user_data_dir() -> Path:
    """The per-user data folder every command keeps a user's own files in: ``$RIGBENCH_DATA_DIR`` when set, else
    platformdirs' ``user_data_dir("rigbench")`` (``~/.local/share/rigbench`` on Linux, honouring
    ``XDG_DATA_HOME``)."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else Path(platformdirs.user_data_dir("rigbench", appauthor=False))


def _clean(obj: Any) -> Any:
    """NaN and infinities are not JSON: they become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def dumps(doc: Any, indent: int | None = 2) -> str:
    """JSON text of a document, with non-finite floats as null."""
    return json.dumps(_clean(doc), indent=indent, sort_keys=False, default=str)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ------------------------------------------------------------------------------------------------ output paths

def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory (a folder)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device node"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def taken_by(path: str | os.PathLike) -> str | None:
    """What stands at ``path`` when it is something other than a regular file ('a symbolic link', 'a directory (a
    folder)' ...), the link itself and not what it leads to; None when nothing, or a regular file, is there."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return None if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)


def check_output(path: str | os.PathLike, what: str = "results", option: str = "--out") -> Path:
    """Refuse an output path whose last component exists and is not a regular file, or that is written as a folder
    (a trailing ``/``); returns it as a Path.

    ``what`` names what is written ("results", "the plot") and ``option`` the option that gave the path, for the
    message. The parent folder may be missing (it is created on write) but must not be a file.
    """
    text = os.fspath(path)
    if not str(text).strip():
        raise UserError(f"{option} is empty: give a file name")
    if str(text) == "-":
        # '-' reads as standard output in many tools; here it would be a file named '-'
        raise UserError(f"{option} -: rigbench writes {what} to a file, not to standard output (--json prints the "
                        "document there); give a file name")
    _refuse_dotdot_through_missing(str(text), what, option)
    if str(text).endswith(("/", os.sep)) or os.path.basename(text) in (".", ".."):
        # a name written as a folder: Path() drops the trailing /, and 'new.png/' was written as the file new.png.
        # Runs, which have a default name to put in a folder, resolve 'runs/' before this (output_path)
        raise UserError(f"{option} {one_line(text)} names a folder: "
                        f"rigbench writes {what} to one file; give a file name")
    path = Path(text)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise UserError(f"cannot write {what} to {one_line(path)}: a folder on its path is a file; "
                        f"choose another {option}") \
            from None
    except OSError as exc:
        raise UserError(f"cannot write {what} to {one_line(path)}: "
                        f"{exc.strerror or exc}; choose another {option}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise UserError(f"{option} {one_line(path)} is {_kind(st.st_mode)}: "
                        f"rigbench writes {what} to regular files only and "
                        "never replaces anything else; give a new file name")
    for parent in path.parents:
        try:
            pst = os.stat(parent)  # a link to a folder is a folder here: only the file itself must not be a link
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise UserError(f"cannot write {what} to {one_line(path)}: "
                            f"{exc.strerror or exc}; choose another {option}") \
                from None
        if not stat.S_ISDIR(pst.st_mode):
            raise UserError(f"cannot write {what} to {one_line(path)}: {one_line(parent)} is not a folder; "
                            f"choose another {option}")
        break
    return path


def refuse_unwritable(path: str | os.PathLike, what: str = "results", option: str = "--out") -> None:
    """Refuse to replace an existing file at ``path`` that the user may not write (``access(2)`` with ``W_OK``).

    An atomic write replaces the directory entry (``rename(2)``), which needs only write permission on the folder:
    the file's own mode is never consulted, so a read-only file, even another user's in a shared folder, would be
    replaced in silence. A file rigbench replaces must be one the user could have overwritten in place."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except OSError:
        return                          # nothing there (or nothing to look at): the write itself says why
    if stat.S_ISREG(st.st_mode) and not os.access(path, os.W_OK):
        raise UserError(f"cannot write {what} to {one_line(path)}: {os.strerror(errno.EACCES)} (the file there is "
                        f"not writable for you, and rigbench leaves it as it is); choose another {option}")


def check_replaceable(path: str | os.PathLike, what: str = "results", option: str = "--out") -> Path:
    """:func:`check_output`, and the file there, if any, is one the user may write (:func:`refuse_unwritable`):
    every check a write that replaces ``path`` makes, without writing (a dry run, a check before a long run)."""
    path = check_output(path, what, option)
    refuse_unwritable(path, what, option)
    return path


def refuse_replacing_other_than(path: str | os.PathLike, load: Callable[[Path], Any], kind: str,
                                option: str = "--out") -> None:
    """An option may name an earlier file of rigbench's to replace it (a re-run, a refresh under one name); a file
    that ``load`` cannot read as a rigbench ``kind`` ("run", "price list": notes, a CSV, another tool's JSON, a file
    this version refuses) is someone's data, not rigbench's to replace: refused before any work, and left as it was.
    ``load`` raises ``UserError`` on what it cannot read, its message beginning with the path (as readers here do)."""
    path = Path(path)
    try:
        load(path)
    except UserError as exc:
        why = str(exc).removeprefix(str(path)).lstrip(" :")    # the loader's words begin with the path said here
        raise UserError(f"{option} {one_line(path)} exists and is not a rigbench {kind} ({why}); it is left as it "
                        "is: give another name, or move it away") from None


def _refuse_dotdot_through_missing(text: str, what: str, option: str) -> None:
    """Refuse a path that climbs out ('..') of a folder that does not exist: writing there would first create that
    folder ('/x/../run.json' made an empty /x), and the file would land beside it."""
    parts = Path(text).parts
    for i, part in enumerate(parts):
        if part == ".." and i > 0:
            before = Path(*parts[:i])
            if not before.is_dir():
                raise UserError(f"{option} {one_line(text)} goes through {one_line(before)}, which is not a folder "
                                f"here: write where {what} should go without '..'")


def output_path(out: str | os.PathLike | None, default_name: str, *, default_folder: str | os.PathLike,
                what: str = "results", option: str = "--out") -> tuple[Path, bool]:
    """Where a run writes: ``(path, is_default_name)``.

    ``out`` None: ``default_folder/default_name``. ``out`` a folder (an existing directory, or written with a
    trailing ``/``): ``out/default_name``. Otherwise ``out`` itself. A default name is created exclusively (the next
    free name if taken); a name the user gave replaces a regular file of that name, and nothing else.
    """
    if out is None:
        return check_output(Path(default_folder) / default_name, what, option), True
    text = os.fspath(out)
    if not str(text).strip():
        raise UserError(f"{option} is empty: give a file name such as run.json, or a folder ending in /")
    if str(text).endswith(("/", os.sep)) or (Path(text).is_dir() and not Path(text).is_symlink()):
        return check_output(Path(text) / default_name, what, option), True
    path = check_output(text, what, option)     # first what stands there: a FIFO is said to be one, whatever its name
    # the readers of a folder of runs (results list, report, the earlier-runs check: json_files) open its visible
    # *.json files only: a run saved as run.csv, run1 or .run.json would be missing from every one of them
    suffix, name = Path(default_name).suffix, Path(text).name
    if name.startswith("."):
        raise UserError(f"{option} {one_line(text)} names a hidden file, which results list and report pass over; "
                        f"name it like {default_name}")
    if Path(text).suffix != suffix:
        better = name.removesuffix(Path(text).suffix) + suffix
        raise UserError(f"{option} {one_line(text)}: {what} files are JSON and are found by their {suffix} name "
                        f"(results list, report read *{suffix}); name it {one_line(better)}")
    return path, False


def _parent_ready(path: Path, what: str, option: str, parents: bool = True) -> None:
    if not parents:
        if not path.absolute().parent.is_dir():
            raise UserError(f"cannot write {what} to {one_line(path)}: folder {one_line(path.parent)} does not exist; "
                            f"choose another {option}")
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UserError(f"cannot write {what} to {one_line(path)}: {one_line(path.parent)} is not a folder; "
                        f"choose another {option}") \
            from None
    except OSError as exc:
        raise UserError(f"cannot write {what} to {one_line(path)}: "
                        f"{exc.strerror or exc}; choose another {option}") from None


def check_writable(path: str | os.PathLike, what: str = "results", option: str = "--out") -> Path:
    """Fail fast, before a long run, if a file cannot be written at ``path`` (policy and permissions)."""
    path = check_output(path, what, option)
    _parent_ready(path, what, option)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".check", dir=path.parent)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise UserError(f"cannot write {what} to {one_line(path)}: "
                        f"{exc.strerror or exc}; choose another {option}") from None
    return path


def free_names(path: str | os.PathLike, hint: str, tries: int = _UNIQUE_TRIES) -> Iterator[Path]:
    """The names a file rigbench names itself may take, in order: ``path``, ``stem-2.suffix`` ... up to ``tries``,
    each yielded only while nothing stands there. The one rule for every default name (a run, a report page):
    a regular file is someone's and is moved past, never replaced; anything else (a folder, a symbolic link, even
    one to a file, a device) is refused with a ``UserError`` naming it and ending in ``hint``, as the first name
    is refused by :func:`check_output`, rather than moved past in silence. A caller claims a yielded name
    exclusively and, if another process took it meanwhile, asks for the next."""
    path = Path(path)
    for n in range(1, tries + 1):
        name = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
        taken = taken_by(name)
        if taken is not None:
            raise UserError(f"the default name {one_line(name)} is taken here by {taken}; {hint}")
        if not os.path.lexists(name):
            yield name
    raise UserError(f"{one_line(path)} to {one_line(path.stem)}-{tries}{one_line(path.suffix)} are all taken here; "
                    f"{hint}")


def _claim_names(path: Path, unique: bool, hint: str | None, option: str, what: str) -> Iterator[Path]:
    """The names exclusive creation tries: ``path`` alone, or with ``unique`` the :func:`free_names` after it."""
    if unique:
        return free_names(path, hint or f"pass {option} FILE to name {what}")
    return iter([path])


def _kept_mode(path: Path) -> int | None:
    """The permission bits a file that replaces ``path`` keeps: those of the regular file there (a private
    ``chmod 600`` file stays private, as editors and ``install -p`` keep a file's mode), else None (a new file
    takes the umask's). Set-user-ID and set-group-ID are not kept: a written file is data, never a program."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return stat.S_IMODE(st.st_mode) & ~(stat.S_ISUID | stat.S_ISGID)


def write_atomic(path: str | os.PathLike, data: bytes, *, what: str = "results", option: str = "--out",
                 create: bool = False, unique: bool = False, parents: bool = True, hint: str | None = None) -> Path:
    """Write ``data`` to ``path`` atomically under the output policy; returns the path written.

    ``create``: the file must not exist yet (exclusive creation); with ``unique`` a taken name moves on to the next
    free one by the rule of :func:`free_names` (past a regular file, not past a folder or link; ``hint`` ends that
    refusal), without it a taken name is a ``UserError``. Otherwise an existing regular file
    is replaced, if the user may write it (:func:`refuse_unwritable`), and the new file keeps its permission bits.
    ``parents``: create missing folders (else a missing folder is refused). An unwritable folder or a full disk is
    a ``UserError``.
    """
    path = check_output(path, what, option)
    if not create:
        refuse_unwritable(path, what, option)    # before the temporary file: a refused write leaves nothing behind
    _parent_ready(path, what, option, parents)
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o666 & ~_umask())  # mkstemp makes 0600; a results file is as readable as any other
        if create:
            for target in _claim_names(path, unique, hint, option, what):
                try:
                    os.link(tmp_name, target)  # fails if the name exists, whatever it is: nothing is replaced
                    return target
                except FileExistsError:
                    continue
            raise UserError(f"{option} {one_line(path)} already exists (another run took the name): "
                            f"give a new file name")
        check_replaceable(path, what, option)  # again, just before the rename: the name may have changed meanwhile
        old_mode = _kept_mode(path)
        if old_mode is not None:
            os.chmod(tmp_name, old_mode)
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        if create and exc.errno in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):  # no hard links (FUSE, SMB)
            return _create_without_link(path, tmp_name, what=what, option=option, unique=unique, hint=hint)
        raise UserError(f"cannot write {what} to {one_line(path)}: "
                        f"{exc.strerror or exc}; choose another {option}") from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    return path


def _create_without_link(path: Path, tmp_name: str, *, what: str, option: str, unique: bool,
                         hint: str | None) -> Path:
    """Exclusive creation where ``link(2)`` is refused: claim the name with O_EXCL, then rename over the claim."""
    for target in _claim_names(path, unique, hint, option, what):
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666))
            os.replace(tmp_name, target)
            return target
        except FileExistsError:
            continue
        except OSError as exc:
            raise UserError(f"cannot write {what} to {one_line(target)}: "
                            f"{exc.strerror or exc}; choose another {option}") \
                from None
    raise UserError(f"{option} {one_line(path)} already exists (another run took the name): give a new file name")


def write_json_atomic(path: str | os.PathLike, doc: Any, *, what: str = "results", option: str = "--out",
                      create: bool = False, unique: bool = False) -> Path:
    """Write the JSON document ``doc`` under the output policy (see ``write_atomic``); returns the path written."""
    return write_atomic(path, (dumps(doc) + "\n").encode("utf-8"), what=what, option=option, create=create,
                        unique=unique)


def write_text_atomic(path: str | os.PathLike, text: str, *, what: str = "the file", option: str = "--out",
                      create: bool = False, unique: bool = False, hint: str | None = None) -> Path:
    """Write UTF-8 ``text`` under the output policy (see ``write_atomic``); returns the path written."""
    return write_atomic(path, text.encode("utf-8"), what=what, option=option, create=create, unique=unique,
                        hint=hint)


def save_figure(fig, path: str | os.PathLike, *, option: str = "--plot", **savefig_kw) -> Path:
    """A matplotlib figure written under the output policy, in the format its suffix names (.png, .svg, .pdf)."""
    path = check_output(path, "the plot", option)
    _parent_ready(path, "the plot", option, parents=False)
    fmt = path.suffix.lstrip(".").lower()
    if not fmt:
        raise UserError(f"{option} {path} has no suffix: end it in .png, .svg or .pdf")
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format=fmt, **savefig_kw)
    except ValueError as exc:
        first = str(exc).splitlines()[0] if str(exc) else repr(exc)
        raise UserError(f"cannot write the plot to {path}: {first}") from None
    return write_atomic(path, buf.getvalue(), what="the plot", option=option, parents=False)


# ------------------------------------------------------------------------------------------------ input files

def parse_schema(schema: Any) -> tuple[str, int] | None:
    """``"rigbench.results/1"`` -> ``("results", 1)``; anything else -> None."""
    if not isinstance(schema, str) or not schema.startswith("rigbench.") or "/" not in schema:
        return None
    kind, _, version = schema[len("rigbench."):].partition("/")
    if not (version.isascii() and version.isdigit()) or len(version) > 6:
        return None
    return kind, int(version)


def json_files(folder: str | os.PathLike,
               passed_over: list[tuple[Path, str]] | None = None) -> list[tuple[Path, os.stat_result]]:
    """The ``*.json`` files of ``folder`` worth opening, by name, each with its ``stat`` (a link followed): not
    hidden, regular files. A link that leads nowhere or in a circle, a folder, a FIFO or a device named ``*.json``
    is passed over, with why, into ``passed_over`` when given: one odd entry must not stop every reader of the
    folder. A folder that does not exist has no files; one whose name cannot be a folder's (too long) raises, as
    any bad path does, for the command to say so."""
    folder = Path(folder)
    names = sorted(folder.glob("*.json")) if folder.is_dir() else []
    out = []
    for path in names:
        if path.name.startswith("."):
            continue
        try:
            st = path.stat()
        except OSError as exc:
            why = ("a symbolic link that leads in a circle" if exc.errno == errno.ELOOP else
                   "a symbolic link that leads nowhere" if exc.errno == errno.ENOENT else
                   f"not readable ({exc.strerror or exc})")
        else:
            if stat.S_ISREG(st.st_mode):
                out.append((path, st))
                continue
            why = _kind(st.st_mode)
        if passed_over is not None:
            passed_over.append((path, f"{path} is {why}, not a results file"))
    return out


def _stat_followed(path: str | os.PathLike) -> tuple[os.stat_result | None, str | None]:
    """(``stat`` of what stands at ``path``, a symbolic link followed, None), or (None, 'nothing' / 'a symbolic
    link that leads nowhere or in a circle') where nothing does. A path that cannot be looked at (a folder on the way
    without search permission: EACCES) is ``UserError`` "cannot read PATH: Permission denied", as reading it would
    say; a name too long for the file system is left to the caller (``OSError`` ENAMETOOLONG)."""
    try:
        return os.stat(path), None
    except (FileNotFoundError, NotADirectoryError):
        return None, "a symbolic link that leads nowhere or in a circle" if os.path.islink(path) else "nothing"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "a symbolic link that leads nowhere or in a circle"
        if exc.errno == errno.ENAMETOOLONG:
            raise
        raise UserError(f"cannot read {one_line(os.fspath(path))}: {exc.strerror or exc}") from None


def not_a_regular_file(path: str | os.PathLike) -> str | None:
    """What stands at ``path``, a symbolic link followed, when it is no regular file to read: 'nothing', 'a symbolic
    link that leads nowhere or in a circle', 'a directory (a folder)', 'a device node', 'a FIFO (named pipe)', 'a
    socket'; None for a regular file. It only calls ``stat``: a device is not read and a FIFO is not opened (opening
    one for reading waits for a writer), so a caller checks here before it hands the path to code that opens it
    itself (zipfile, importlib). A path that cannot be looked at is a ``UserError`` (:func:`_stat_followed`), never
    "not a regular file but not readable"."""
    try:
        st, missing = _stat_followed(path)
    except OSError:                     # ENAMETOOLONG: no file can have that name, so nothing stands there
        return "nothing"
    if st is None:
        return missing
    return None if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)


def not_a_folder(path: str | os.PathLike) -> str | None:
    """What stands at ``path``, a symbolic link followed, when it is no folder to look in: 'nothing', 'a symbolic
    link that leads nowhere or in a circle', 'a file', 'a device node', 'a FIFO (named pipe)', 'a socket'; None for a
    folder. A file or a FIFO given as a folder would read as a folder without runs: the caller says what it is. A
    name too long for the file system is left to the command line's handler, which says so."""
    st, missing = _stat_followed(path)
    if st is None:
        return missing
    if stat.S_ISDIR(st.st_mode):
        return None
    return "a file" if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)


def _open_regular(path: str | os.PathLike, what: str) -> tuple[int, os.stat_result, Path]:
    """A user-given regular file opened for reading, without blocking (a FIFO never makes rigbench wait), and its
    ``fstat`` on the open descriptor, so what is read is what was checked; anything else is a ``UserError``. The
    caller closes the descriptor."""
    text = os.fspath(path)
    if not str(text).strip():
        raise UserError(f"the {what} path is empty: give a file name")
    path = Path(text)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        if os.path.islink(path):        # the name is there; what it points to is not
            raise UserError(f"{path} is a symbolic link that leads nowhere, not a {what}") from None
        raise UserError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a directory, not a {what}") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise UserError(f"{path} is a directory, not a {what}")
        if not stat.S_ISREG(st.st_mode):
            raise UserError(f"{path} is {_kind(st.st_mode)}, not a {what}: rigbench reads regular files only")
        os.set_blocking(fd, True)
    except OSError as exc:
        os.close(fd)
        raise UserError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except UserError:
        os.close(fd)
        raise
    return fd, st, path


def read_bytes(path: str | os.PathLike, what: str = "file", max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a user-given file: a regular file of at most ``max_bytes``; anything else is a ``UserError``.

    The file is opened without blocking (a FIFO never makes rigbench wait) and checked with ``fstat`` on the open
    descriptor, so what is read is what was checked.
    """
    fd, st, path = _open_regular(path, what)
    try:
        if st.st_size > max_bytes:
            raise UserError(f"{path} is {st.st_size / 2 ** 20:.1f} MiB, more than a {what} can be "
                            f"({max_bytes // 2 ** 20} MiB at most): is it the right file?")
        with os.fdopen(fd, "rb") as fh:
            fd = None
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    finally:
        if fd is not None:
            os.close(fd)
    if len(data) > max_bytes:  # grew while being read
        raise UserError(f"{path} is more than {max_bytes // 2 ** 20} MiB, more than a {what} can be")
    return data


def read_head(path: str | os.PathLike, what: str, head_bytes: int) -> bytes:
    """The first ``head_bytes`` bytes (fewer if the file is shorter) of a user-given regular file, whatever its
    size, under the opening policy of :func:`read_bytes`: for telling what a file is by its beginning without
    reading the rest (a page's <head>, where a file that is no page may be a video of gigabytes)."""
    fd, _, path = _open_regular(path, what)
    try:
        with os.fdopen(fd, "rb") as fh:
            fd = None
            return fh.read(head_bytes)
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    finally:
        if fd is not None:
            os.close(fd)


def read_text(path: str | os.PathLike, what: str = "file", max_bytes: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of a user-given file, under the reading policy of ``read_bytes``."""
    data = read_bytes(path, what, max_bytes)
    try:
        # utf-8-sig drops the byte-order mark Excel and Notepad put before a CSV saved as UTF-8: it is not text, and
        # left in place it glues itself to the first column's name ("\ufeffprovider" is then a missing column)
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"cannot read {what} {Path(path)}: not UTF-8 text (byte {exc.start})") from None


def loads(text: str, source: str, expected: str = "JSON") -> Any:
    """``json.loads`` whose every failure (syntax, nesting too deep, numbers too long) is one ``UserError`` line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{source} is not JSON ({exc.msg} at line {exc.lineno}); expected {expected}") from None
    except RecursionError:
        raise UserError(f"{source} nests brackets too deeply to be {expected}") from None
    except ValueError as exc:  # integers beyond Python's digit limit (sys.set_int_max_str_digits)
        raise UserError(f"{source} is not usable JSON ({str(exc).split(';')[0]}); expected {expected}") from None


def json_depth(doc: Any, stop: int = MAX_JSON_DEPTH) -> int:
    """How deep objects and lists nest in ``doc`` (``{}`` is 1, a number 0), counted without recursion; the count
    stops at the first level past ``stop``."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > stop:
                break
            stack.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def _json_type(value: Any) -> str:
    """What a parsed JSON value is, as JSON names it."""
    return {list: "an array", dict: "an object", str: "a string", bool: "true or false", type(None): "null"}.get(
        type(value), "a number")


def read_json(path: str | os.PathLike, kind: str, max_version: int) -> dict:
    """Read a rigbench document of ``kind``; refuse other kinds and versions newer than ``max_version``."""
    path = Path(path)
    text = read_text(path)
    doc = loads(text, str(path), f"a rigbench.{kind} file")
    parsed = parse_schema(doc.get("schema")) if isinstance(doc, dict) else None
    if not isinstance(doc, dict):
        # the type of what it holds, as JSON names it: "(schema: 'list')" read as if the file said so
        raise UserError(f"{path} is not a rigbench.{kind} file: it holds {_json_type(doc)}, not a JSON object")
    if parsed is None or parsed[0] != kind:
        found = doc.get("schema")
        if found is None:
            why = "(it has no 'schema')"
        elif not isinstance(found, str):       # as above: the Python type's name read as if the file had said it
            why = f"(its 'schema' is {_json_type(found)}, not a name like 'rigbench.{kind}/{max_version}')"
        else:
            why = f"(schema: {found if len(found) <= 60 else found[:57] + '...'!r})"
        raise UserError(f"{path} is not a rigbench.{kind} file {why}")
    if parsed[1] > max_version:
        raise UserError(
            f"{path} is rigbench.{kind}/{parsed[1]}, newer than this rigbench reads "
            f"(up to /{max_version}): upgrade rigbench"
        )
    if json_depth(doc) > MAX_JSON_DEPTH:
        raise UserError(f"{path} nests objects and lists more than {MAX_JSON_DEPTH} levels deep, more than a "
                        f"rigbench.{kind} file can (rigbench writes 6): is it the right file?")
    return doc
