"""The documentation in docs/ is the product's contract: it covers every check, its links resolve,
and nothing in the repository points readers to documents they do not have or to issue numbers."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from checks.findings import CATALOG
from crawler.cli.commands import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# What users of the product have not got: the project's own planning documents and its tracker.
FOREIGN_CITATION = re.compile(
    r"SPEC\s*§|SPEC\.md|real-cms|customs-units\.md|(?<![\w-])shared/|\b[Ii]ssues?\s*#?\d+|\(#\d+\)"
)
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".cfg", ".txt", ".html", ".ini"}
SCANNED = ["crawler", "checks", "tests", "benchmarks", "docs", "README.md", "sites.yaml", "pyproject.toml",
           "scrapy.cfg"]
SKIPPED_PARTS = {".cache", "results", "__pycache__"}  # installed peers and measured outputs


def repository_texts():
    for name in SCANNED:
        path = ROOT / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if file.suffix in TEXT_SUFFIXES and not SKIPPED_PARTS & set(file.relative_to(ROOT).parts):
                yield file


def test_nothing_cites_a_document_users_do_not_have_or_an_issue_number():
    this_file = Path(__file__).resolve()
    cited = []
    for file in repository_texts():
        if file.resolve() == this_file:
            continue
        for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if FOREIGN_CITATION.search(line):
                cited.append(f"{file.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not cited, "cite docs/… instead:\n" + "\n".join(cited)


@pytest.mark.parametrize("line", ["SPEC §6", "see SPEC.md", "(issue 8)", "Issue #12", "real-cms.md §4",
                                  "/work/shared/x", "shared/SPEC"])
def test_the_citation_pattern_catches_what_it_must(line):
    assert FOREIGN_CITATION.search(line)


@pytest.mark.parametrize("line", ["docs/checks.md", "this issues a request", "a shared cache", "lib/shared_x"])
def test_the_citation_pattern_leaves_ordinary_words_alone(line):
    assert not FOREIGN_CITATION.search(line)


def every_parser(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from every_parser(sub)


def test_no_help_text_cites_a_document_users_do_not_have():
    for parser in every_parser(build_parser()):
        assert not FOREIGN_CITATION.search(parser.format_help()), parser.prog


def test_every_check_code_is_documented_with_its_chinese_name_and_severity():
    text = (DOCS / "checks.md").read_text(encoding="utf-8")
    for info in CATALOG.values():
        row = rf"^\| `{info.code}` \| {re.escape(info.name)} \| {info.severity} \|"
        assert re.search(row, text, re.MULTILINE), f"docs/checks.md has no catalogue row for {info.code}"
        assert re.search(rf"^#+ .*`{info.code}`", text, re.MULTILINE) or info.code.startswith("ipv6_"), \
            f"docs/checks.md has no section on {info.code}"


def test_every_unit_csv_and_summary_column_is_documented():
    from crawler.report.rows import CSV_COLUMNS, SUMMARY_COLUMNS

    text = (DOCS / "csv.md").read_text(encoding="utf-8")
    for column in [*CSV_COLUMNS, *(c for c in SUMMARY_COLUMNS if c not in CATALOG)]:
        assert f"`{column}`" in text, f"docs/csv.md does not describe the column {column}"


def test_every_option_of_every_command_is_documented():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for parser in every_parser(build_parser()):
        for action in parser._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert f"`{option}" in text, f"docs/cli.md does not describe {parser.prog} {option}"


def test_the_links_between_documents_resolve():
    for file in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", file.read_text(encoding="utf-8")):
            if "://" not in target:
                assert (file.parent / target).exists(), f"{file.relative_to(ROOT)} links to missing {target}"
