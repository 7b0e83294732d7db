"""The benchmark runs end to end: a small generated site, the product only, on loopback.

No timing is asserted: the benchmark measures speed, the test only that it works and that the
product finds exactly the planted broken links.
"""
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.generate_site import generate

ROOT = Path(__file__).resolve().parent.parent


def test_generated_site_is_deterministic_and_knows_its_broken_links(tmp_path):
    first = generate(tmp_path / "a", pages=50, links_per_page=20, seed=3)
    second = generate(tmp_path / "b", pages=50, links_per_page=20, seed=3)
    assert first.broken_pairs == second.broken_pairs
    assert (tmp_path / "a" / "truth.json").read_bytes() == (tmp_path / "b" / "truth.json").read_bytes()
    assert first.broken_targets and first.depth <= 4
    for path in first.broken_targets:
        assert not (tmp_path / "a" / path.lstrip("/")).exists()
    for page, target in first.broken_pairs:
        html = tmp_path / "a" / ("index.html" if page == "/" else page.lstrip("/"))
        assert f'href="{target}"' in html.read_text(encoding="utf-8")


def test_benchmark_runs_end_to_end_on_50_pages(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--pages", "50", "--tools", "product", "--timeout", "120",
         "--results-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| customs-audit |" in result.stdout
    assert "served by" in result.stderr
    [size] = json.loads(next(tmp_path.glob("*.json")).read_text())
    [product] = size["results"]
    assert product["status"] == "ok"
    assert product["pages"] == 50
    assert product["broken_found"] == size["broken_targets"] > 0
    assert product["pairs_found"] == size["broken_pairs"]
    assert product["false_alarms"] == 0
    assert (tmp_path / next(tmp_path.glob("*.json")).with_suffix(".md").name).exists()
