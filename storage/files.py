"""Content-addressed store of uploaded files, kept on disk next to the database."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def content_hash(data: bytes) -> str:
    """The SHA-256 hex digest that names a file in the store."""
    return hashlib.sha256(data).hexdigest()


class FileStore:
    """Files named by their SHA-256 under ``root/ab/abcdef…``; writing is atomic."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        """Where the file with this hash lives (whether or not it exists yet)."""
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> tuple[str, bool]:
        """Store ``data``; return its hash and whether it was new (so a failed commit can undo it)."""
        sha = content_hash(data)
        target = self.path_for(sha)
        if target.exists():
            return sha, False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha, True

    def read(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``."""
        return self.path_for(sha256).read_bytes()

    def remove(self, sha256: str) -> None:
        """Delete a stored file (used only to undo a ``put`` whose record was not committed)."""
        self.path_for(sha256).unlink(missing_ok=True)
