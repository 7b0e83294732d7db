"""PDF copies of the .docx documents, through LibreOffice headless (Debian: libreoffice-writer)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CONVERT_TIMEOUT_SECONDS = 300


class PdfUnavailable(Exception):
    """LibreOffice is missing or failed; one line."""


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise PdfUnavailable("--pdf needs LibreOffice (soffice) on the PATH: install it (Debian: apt-get install "
                             "libreoffice-writer); the .docx files are written")
    return found


def to_pdf(documents: list[Path]) -> list[Path]:
    """Convert each .docx to a .pdf beside it, in one LibreOffice call."""
    if not documents:
        return []
    program = soffice()
    by_folder: dict[Path, list[Path]] = {}
    for path in documents:
        path.with_suffix(".pdf").unlink(missing_ok=True)  # a copy left from before must not pass for this one
        by_folder.setdefault(path.parent, []).append(path)
    # a profile of its own: a LibreOffice the user has open (or a parallel conversion) would lock the default one
    with tempfile.TemporaryDirectory(prefix="customs-audit-lo-") as profile:
        for folder, paths in by_folder.items():
            command = [program, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                       "--convert-to", "pdf", "--outdir", str(folder), *map(str, paths)]
            try:
                done = subprocess.run(command, capture_output=True, text=True,
                                      timeout=CONVERT_TIMEOUT_SECONDS, check=False)
            except subprocess.TimeoutExpired:
                raise PdfUnavailable(f"LibreOffice did not finish within {CONVERT_TIMEOUT_SECONDS} s; "
                                     "the .docx files are written") from None
            missing = [path for path in paths if not path.with_suffix(".pdf").exists()]
            if done.returncode != 0 or missing:
                reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit {done.returncode}"]
                raise PdfUnavailable(f"LibreOffice could not convert {missing[0] if missing else folder}: {reason[0]}")
    return [path.with_suffix(".pdf") for path in documents]
