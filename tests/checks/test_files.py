"""write_atomic: a reader sees the old file or the new one, never a part, and no temporary is left."""
from pathlib import Path

import pytest

from checks.files import write_atomic


def test_text_and_bytes_replace_the_file_whole(tmp_path: Path):
    target = tmp_path / "summary.csv"
    write_atomic(target, "单位,问题\n")
    assert target.read_text(encoding="utf-8") == "单位,问题\n"
    write_atomic(target, b"\xef\xbb\xbfnew")
    assert target.read_bytes() == b"\xef\xbb\xbfnew"
    assert [path.name for path in tmp_path.iterdir()] == ["summary.csv"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path):
    target = tmp_path / "run.json"
    write_atomic(target, "{}")
    with pytest.raises(TypeError):
        write_atomic(target, ["not", "bytes"])  # type: ignore[arg-type]
    assert target.read_text(encoding="utf-8") == "{}"
    assert [path.name for path in tmp_path.iterdir()] == ["run.json"]
