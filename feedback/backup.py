"""A consistent copy of the live database and its photos while the service keeps writing.

SQLite's online backup API copies the database inside one read transaction; in WAL mode
gunicorn workers go on accepting opinions meanwhile, and the copy is the database as of the
moment the backup began.
Photos are files named once and never changed, so copying the new ones after the database
gives every backed-up opinion its photos.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

# One step under one read transaction: in WAL mode writers carry on meanwhile, whereas a
# backup in several steps restarts whenever another connection writes, which on a busy
# service could be forever.
PAGES_PER_STEP = -1


class BackupError(RuntimeError):
    """The backup could not be made; the message says why (English, for the CLI)."""


def photos_folder_for(target: Path) -> Path:
    """Where the photos of a backup go: beside it, `FILE.photos/`."""
    return target.with_name(target.name + ".photos")


def _refuse_live(source: Path, target: Path) -> None:
    live = source.resolve()
    if target.resolve() in (live, Path(f"{live}-wal"), Path(f"{live}-shm")):
        raise BackupError(f"{target} is the live database; choose another file")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK):
        raise BackupError(f"cannot write to folder {target.parent}")


def copy_database(source: Path, target: Path) -> int:
    """Copy `source` into `target` (replaced atomically); returns the opinions in the copy."""
    _refuse_live(source, target)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    live = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        live.execute("PRAGMA busy_timeout=30000")
        live.backup(copy, pages=PAGES_PER_STEP)
        # A single self-contained file: no -wal beside it to forget when copying it away.
        copy.execute("PRAGMA journal_mode=DELETE")
        (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise BackupError(f"the copy failed its integrity check: {verdict}")
        (rows,) = copy.execute("select count(*) from opinions").fetchone()
    except sqlite3.Error as error:
        raise BackupError(f"backup of {source} failed: {error}") from None
    finally:
        copy.close()
        live.close()
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    return rows


def photo_files(photos: Path) -> list[Path]:
    if not photos.is_dir():
        return []
    return [p for p in sorted(photos.rglob("*")) if p.is_file() and not p.name.startswith(".")]


def copy_photos(
    files: list[Path], photos: Path, folder: Path, progress: Callable[[int], None] | None = None
) -> int:
    """Copy photos not yet in `folder` (earlier backups keep theirs); returns how many."""
    copied = 0
    for path in files:
        if progress:
            progress(1)
        destination = folder / path.relative_to(photos)
        if destination.exists() and destination.stat().st_size == path.stat().st_size:
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        copied += 1
    return copied
