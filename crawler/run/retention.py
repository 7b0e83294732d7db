"""Retention (`run --keep-runs N`): old run folders and old page-cache entries go; the history stays.

The history keeps every finding's first and last seen and every run's reports, so a pruned run
can still be re-rendered with `report RUN`.
"""
from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path

from checks.dates import SHANGHAI
from crawler.outcome.history import History

RUN_ID = re.compile(r"\d{8}-\d{6}")


def prune_runs(out_dir: Path, keep: int, history: History, current: Path, cache_dir: Path) -> list[Path]:
    """Delete the run folders beyond the newest `keep`; return them.

    Never the run just written, never the target of OUT/latest, never an unfinished run (its
    folder holds the crawl store a resume continues from).
    """
    protected = {current.resolve()} | {(out_dir / run_id).resolve() for run_id, *_ in history.unfinished_runs()}
    latest = out_dir / "latest"
    if latest.is_symlink():
        protected.add(latest.resolve())
    runs = sorted((path for path in out_dir.iterdir()
                   if RUN_ID.fullmatch(path.name) and path.is_dir() and not path.is_symlink()), reverse=True)
    removed = [path for path in runs[keep:] if path.resolve() not in protected]
    for path in removed:
        shutil.rmtree(path)
    kept = [path for path in runs if path not in removed]
    prune_cache(cache_dir, run_started(min(kept, key=lambda path: path.name).name))
    return removed


def drop_earlier_run_stores(out_dir: Path, history: History, current: Path) -> list[Path]:
    """Delete the run stores of earlier finished runs; return them.

    Their facts live on in the known web (one row per page and target) and their reports in the
    history, so an output folder holds one run store, not one per night. An unfinished run keeps
    its store: a resume continues from it.
    """
    protected = {current.resolve()} | {(out_dir / run_id).resolve() for run_id, *_ in history.unfinished_runs()}
    dropped = []
    for folder in out_dir.iterdir():
        if RUN_ID.fullmatch(folder.name) and folder.is_dir() and folder.resolve() not in protected:
            for store in folder.glob("crawl.sqlite*"):  # with its -wal and -shm files
                store.unlink()
                dropped.append(store)
    return dropped


def run_started(run_id: str) -> float:
    """The epoch time a run id names (run ids are Asia/Shanghai wall-clock times)."""
    return datetime.strptime(run_id, "%Y%m%d-%H%M%S").replace(tzinfo=SHANGHAI).timestamp()


def prune_cache(cache_dir: Path, before: float) -> None:
    """Drop page-cache entries stored before the oldest kept run.

    An entry is rewritten only when its page changed (a 304 reuses it untouched), so a page
    unchanged for the whole retention window is downloaded in full once more; in exchange the
    cache never keeps pages the crawl stopped visiting.
    """
    if not cache_dir.is_dir():
        return
    # One folder's listing at a time (a large site's cache holds a folder per page, never all
    # listed at once); an entry is a leaf: the walk does not go into it, so removing it is safe.
    for folder, subfolders, files in os.walk(cache_dir):
        if "pickled_meta" in files:
            subfolders.clear()
            if os.stat(os.path.join(folder, "pickled_meta")).st_mtime < before:
                shutil.rmtree(folder)
