"""The house rules of the code, read from the import statements (every one, in functions too):

- `checks` imports nothing of `crawler`, nor a network client nor Scrapy: its rules judge plain data;
- `crawler.crawl` and `crawler.probe` never import `crawler.run`, `crawler.outcome` or `crawler.report`;
- `crawler.report` imports of the product only `crawler.report`, `crawler.outcome` and `checks`;
- nothing of the product imports `tests`;
- the parts of the product (each sub-package of `crawler`, each of its top modules, `checks`) import
  each other without a cycle.

The checker runs over a folder, so it is also shown to catch a forbidden import and a cycle in a
small tree of its own.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("checks", "crawler")

# (who, what it may not import); a name covers its sub-modules
FORBIDDEN = [
    ("checks", "crawler"),
    *[("checks", client) for client in ("socket", "ssl", "http.client", "urllib.request", "dns", "requests",
                                        "scrapy", "twisted")],
    ("crawler.crawl", "crawler.run"), ("crawler.crawl", "crawler.outcome"), ("crawler.crawl", "crawler.report"),
    ("crawler.probe", "crawler.run"), ("crawler.probe", "crawler.outcome"), ("crawler.probe", "crawler.report"),
    ("checks", "tests"), ("crawler", "tests"),
]
# who may import only these of the product
ONLY = {"crawler.report": ("crawler.report", "crawler.outcome", "checks")}


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(root: Path, path: Path) -> list[str]:
    """The absolute names a module imports (`from a import b` gives a.b: b may be a module)."""
    module = module_name(root, path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names += [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
    return names


def product_imports(root: Path) -> dict[str, set[str]]:
    """Each product module and the names it imports."""
    paths = [path for top in PRODUCT for path in sorted((root / top).rglob("*.py"))]
    return {module_name(root, path): set(imports(root, path)) for path in paths}


def violations(root: Path) -> list[str]:
    found = []
    for module, names in product_imports(root).items():
        for name in sorted(names):
            for who, what in FORBIDDEN:
                if within(module, who) and within(name, what):
                    found.append(f"{module} imports {name}: {who} may not import {what}")
            for who, allowed in ONLY.items():
                in_product = name.split(".")[0] in PRODUCT
                if within(module, who) and in_product and not any(within(name, package) for package in allowed):
                    found.append(f"{module} imports {name}: {who} may import only {', '.join(allowed)}")
    return found


def part_of(name: str) -> str:
    """The part of the product a module belongs to: checks, crawler.<sub-package or top module>."""
    parts = name.split(".")
    return parts[0] if parts[0] != "crawler" or len(parts) == 1 else ".".join(parts[:2])


def cycles(root: Path) -> list[list[str]]:
    """Cycles among the parts of the product, each as the parts in order (first one repeated)."""
    edges: dict[str, set[str]] = {}
    for module, names in product_imports(root).items():
        for name in names:
            if name.split(".")[0] in PRODUCT and part_of(name) not in (part_of(module), "crawler"):
                edges.setdefault(part_of(module), set()).add(part_of(name))
    found, done = [], set()

    def visit(part: str, path: list[str]) -> None:
        if part in path:
            found.append(path[path.index(part):] + [part])
            return
        if part in done:
            return
        for target in sorted(edges.get(part, ())):
            visit(target, path + [part])
        done.add(part)

    for part in sorted(edges):
        visit(part, [])
    return found


def test_the_product_keeps_the_import_rules():
    assert violations(ROOT) == []


def test_the_parts_of_the_product_import_each_other_without_a_cycle():
    assert cycles(ROOT) == []


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


LEGAL_TREE = {
    "checks/__init__.py": "", "checks/rules.py": "import re\n",
    "crawler/__init__.py": "", "crawler/sites.py": "from checks.rules import re\n",
    "crawler/crawl/__init__.py": "", "crawler/crawl/store.py": "from crawler.sites import Unit\n",
    "crawler/outcome/__init__.py": "", "crawler/outcome/model.py": "from ..crawl import store\n",
    "crawler/report/__init__.py": "", "crawler/report/rows.py": "from crawler.outcome.model import X\n",
    "crawler/run/__init__.py": "", "crawler/run/runner.py": "import crawler.report.rows\n",
    "tests/__init__.py": "", "tests/test_x.py": "import crawler.run.runner\n",
}


def test_the_checker_passes_a_legal_tree(tmp_path):
    root = write(tmp_path, LEGAL_TREE)
    assert violations(root) == [] and cycles(root) == []


def test_the_checker_finds_each_forbidden_import(tmp_path):
    root = write(tmp_path, {
        **LEGAL_TREE,
        "checks/rules.py": "import socket\ndef later():\n    from crawler.sites import Unit\n",
        "crawler/crawl/store.py": "from ..outcome import model\n",
        "crawler/report/rows.py": "from crawler.sites import Unit\n",
        "crawler/run/runner.py": "import tests.test_x\n",
    })
    assert violations(root) == [
        "checks.rules imports crawler.sites.Unit: checks may not import crawler",
        "checks.rules imports socket: checks may not import socket",
        "crawler.crawl.store imports crawler.outcome.model: crawler.crawl may not import crawler.outcome",
        "crawler.report.rows imports crawler.sites.Unit: crawler.report may import only crawler.report, "
        "crawler.outcome, checks",
        "crawler.run.runner imports tests.test_x: crawler may not import tests",
    ]


def test_the_checker_finds_a_cycle(tmp_path):
    root = write(tmp_path, {**LEGAL_TREE, "crawler/sites.py": "from crawler.run import runner\n"})
    assert cycles(root) == [["crawler.crawl", "crawler.sites", "crawler.run", "crawler.report", "crawler.outcome",
                             "crawler.crawl"]]
