"""Writing a file whole or not at all: reports, the regulation library and the demo's files are
read by other processes (a browser, Excel, a crawl) while they are being rewritten."""
from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_file(path: Path, encoding: str | None = None, newline: str | None = None) -> Iterator[IO]:
    """A file to write `path` through, as it is produced (binary, or text in `encoding`): a
    temporary file in the same folder, renamed over `path` when the block ends, removed when it
    raises. A reader sees the old file or the new one, never a part, even when the writer dies."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    mode = "x" if encoding else "xb"  # exclusive: two writers never share a temporary file
    try:
        with open(temporary, mode, encoding=encoding, newline=newline) as file:
            yield file
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str) -> None:
    """`data` (text as UTF-8) into `path`, whole or not at all (atomic_file)."""
    with atomic_file(path) as file:
        file.write(data.encode("utf-8") if isinstance(data, str) else data)
