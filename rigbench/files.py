"""Reading and writing rigbench's JSON documents.

Every document carries ``"schema": "rigbench.<kind>/<version>"``. Files are written atomically (a temporary file
in the same directory, fsync, then rename), so a reader never sees half a file and a crash never destroys the
previous one. A document from a newer schema version is refused, not misread.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from rigbench.errors import UserError


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


def write_json_atomic(path: str | os.PathLike, doc: Any) -> Path:
    """Write ``doc`` to ``path`` atomically; an unwritable directory or a full disk is a ``UserError``."""
    return write_text_atomic(path, dumps(doc) + "\n")


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically; an unwritable directory or a full disk is a ``UserError``."""
    path = Path(path)
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o666 & ~_umask())  # mkstemp makes 0600; a results file is as readable as any other
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    return path


def parse_schema(schema: Any) -> tuple[str, int] | None:
    """``"rigbench.results/1"`` -> ``("results", 1)``; anything else -> None."""
    if not isinstance(schema, str) or not schema.startswith("rigbench.") or "/" not in schema:
        return None
    kind, _, version = schema[len("rigbench."):].partition("/")
    try:
        return kind, int(version)
    except ValueError:
        return None


def read_text(path: str | os.PathLike, what: str = "file") -> str:
    """The text of a user-given file; a missing or unreadable one is a ``UserError`` naming ``what`` it should be."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {what} {path}: {exc}") from None


def read_json(path: str | os.PathLike, kind: str, max_version: int) -> dict:
    """Read a rigbench document of ``kind``; refuse other kinds and versions newer than ``max_version``."""
    path = Path(path)
    text = read_text(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not JSON ({exc.msg} at line {exc.lineno}); expected a rigbench.{kind} file") from None
    parsed = parse_schema(doc.get("schema")) if isinstance(doc, dict) else None
    if parsed is None or parsed[0] != kind:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise UserError(f"{path} is not a rigbench.{kind} file (schema: {found!r})")
    if parsed[1] > max_version:
        raise UserError(
            f"{path} is rigbench.{kind}/{parsed[1]}, newer than this rigbench reads "
            f"(up to /{max_version}): upgrade rigbench"
        )
    return doc
