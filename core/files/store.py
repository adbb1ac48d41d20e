"""Where uploaded files' bytes live: a directory on the local disk (the embedded default, and a
volume in a single-node deployment). Keys start with the municipality's id, so one
municipality's files never share a path with another's."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Protocol


class FileStore(Protocol):
    def put(self, key: str, content: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...


def key_for(tenant_id: uuid.UUID, file_id: uuid.UUID) -> str:
    return f"{tenant_id}/{file_id}"


class LocalFileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"a file key outside the store: {key!r}")
        return path

    def put(self, key: str, content: bytes) -> None:
        """Written whole or not at all (a temporary file renamed into place)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()
