"""The run folder of docs/csv.md, composed from its writers: unit CSVs, summary.csv, resolved.csv,
accepted.csv (report.csv), run.json, index.html (report.html), findings.xlsx (report.xlsx).

Every file is written to a temporary name and renamed, so no partial report is ever visible.
What a writer shows comes from the UnitReports alone (and the trend), so `report RUN` rebuilds
the same files from the history.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from checks.files import atomic_file, write_atomic
from crawler.outcome.model import TrendPoint, UnitReport
from crawler.report.csv import CSV_ENCODING, CSV_NEWLINE, accepted_csv, resolved_csv, summary_csv, unit_csv
from crawler.report.html import index_html


def write_run_folder(run_dir: Path, reports: list[UnitReport], run_info: dict,
                     trend: Sequence[TrendPoint] = (), make_latest: bool = True, workbook: bool = True) -> None:
    """Write every report file of the run; `make_latest` points OUT/latest at it.

    `workbook`: findings.xlsx too. Spot checks, read in the terminal, go without: openpyxl costs
    a second. Every file is written as it is produced, never held whole.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    for report in reports:
        with atomic_file(run_dir / f"{report.unit.id}.csv", CSV_ENCODING, CSV_NEWLINE) as file:
            unit_csv(file, report)
    for name, writer in (("resolved.csv", resolved_csv), ("accepted.csv", accepted_csv), ("summary.csv", summary_csv)):
        with atomic_file(run_dir / name, CSV_ENCODING, CSV_NEWLINE) as file:
            writer(file, reports)
    write_atomic(run_dir / "run.json", json.dumps(run_info, ensure_ascii=False, indent=2).encode("utf-8"))
    with atomic_file(run_dir / "index.html", "utf-8") as file:
        file.writelines(index_html(reports, run_info, trend))
    if workbook:
        from crawler.report.xlsx import findings_xlsx  # loads openpyxl: only for a workbook

        with atomic_file(run_dir / "findings.xlsx") as file:
            findings_xlsx(file, reports)
    if make_latest:
        point_latest(run_dir)


def point_latest(run_dir: Path) -> None:
    """OUT/latest -> this run (a relative symlink, replaced atomically)."""
    link = run_dir.parent / "latest"
    temporary = run_dir.parent / ".latest.tmp"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(run_dir.name)
    os.replace(temporary, link)
