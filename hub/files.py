"""Private files: what the hub keeps in its data folder is personal data or a secret.

The folders it makes are 0700 and the files 0600 whatever the process's umask: the mode is given
when the file or folder is created (a umask can only take permissions away), never granted first
and narrowed after. Folders and files that already exist keep the mode someone gave them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Make `path` (0700) and any missing parent (0700 too: the data folder is one of them)."""
    if path.is_dir():
        return path
    if not path.parent.is_dir() and path.parent != path:
        private_dir(path.parent)
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        if not path.is_dir():
            raise
    return path


def create_private_file(path: Path) -> None:
    """Create `path` empty, 0600, if it does not exist (an existing file is left as it is)."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def write_private_bytes(path: Path, data: bytes) -> None:
    """Write a new file, 0600 (it must not exist: write aside, then rename over)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
