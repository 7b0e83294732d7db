"""Writing a file whole or not at all: reports, the regulation library and the demo's files are
read by other processes (a browser, Excel, a crawl) while they are being rewritten."""
from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_atomic(path: Path, data: bytes | str) -> None:
    """`data` (text as UTF-8) into `path` through a temporary file in the same folder, renamed over
    it: a reader sees the old file or the new one, never a part, even when the writer dies."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(temporary, "xb") as file:  # exclusive: two writers never share a temporary file
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
