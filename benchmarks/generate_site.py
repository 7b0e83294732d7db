"""A deterministic static site for the benchmark, and its truth.

`generate(directory, pages, links_per_page)` writes `pages` HTML pages: `index.html` (page 0)
and `page/<i>.html`. The pages form a tree under the index (so every page is reachable within a
few hops) and each page fills its `links_per_page` links with cross links to random pages. About
`broken_ratio` of the links point at pages that do not exist (`missing/<j>.html`, 404); some
broken targets are linked from several pages. Every page also carries a stylesheet and an
image, every fifth page a PDF attachment: these all exist.

`truth.json` beside the pages holds what a checker should find: the broken target paths and the
(page, target) pairs that carry them, both as site paths ("/" for the index).
"""
from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path

# Hops from the index the product follows by default (crawler.sites DEFAULTS["max_depth"]).
MAX_DEPTH = 4
ATTACHMENT_EVERY = 5  # every fifth page links a PDF
PAGES_PER_IMAGE = 20
PAGES_PER_ATTACHMENT = 50

TOPICS = ("通关业务", "海关公告", "政策法规", "政府信息公开", "统计数据", "行政审批", "税收征管", "口岸监管",
          "检验检疫", "企业管理", "加工贸易", "知识产权")
FILLER = ("为进一步优化口岸营商环境，促进跨境贸易便利化，海关总署决定在全国海关推广相关改革措施。"
          "各直属海关应当结合本关区实际，认真组织实施，并及时报告执行中遇到的问题。")
# A 1x1 transparent PNG and a one-page PDF: small, but real files of their type.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
STYLESHEET = "/static/site.css"
CSS = "body{font-family:sans-serif;margin:2em}nav a{display:inline-block;margin:0 .5em}\n"


@dataclass(frozen=True)
class Site:
    """What was generated: where, how big, and the truth a checker is measured against."""

    directory: Path
    pages: int
    links_per_page: int
    page_paths: list[str]
    broken_targets: list[str]
    broken_pairs: list[tuple[str, str]]
    depth: int  # hops from the index to the farthest page
    linked_paths: list[str]  # every distinct path the pages link to, the index included


def page_path(index: int) -> str:
    return "/" if index == 0 else f"/page/{index}.html"


def title(index: int) -> str:
    return "海关信息公开首页" if index == 0 else f"{TOPICS[index % len(TOPICS)]}第{index}号"


def branching(pages: int, links_per_page: int) -> int:
    """Children per page: half the links, or more when needed to keep the tree within MAX_DEPTH hops."""
    children = max(1, links_per_page // 2)
    while children < links_per_page - 1 and sum(children ** d for d in range(MAX_DEPTH + 1)) < pages:
        children += 1
    return children


def generate(directory: Path | str, pages: int, links_per_page: int, broken_ratio: float = 0.01,
             seed: int = 1) -> Site:
    """Write the site and its truth.json under `directory`; the same arguments give the same bytes."""
    if pages < 1 or links_per_page < 2:
        raise ValueError("a site needs at least 1 page and 2 links per page")
    directory = Path(directory)
    rng = random.Random(seed)
    children = branching(pages, links_per_page)
    links = [_page_links(i, pages, links_per_page, children, rng) for i in range(pages)]
    broken_pairs = _plant_broken(links, children, pages, links_per_page, broken_ratio, rng)
    depth = _depth(links)

    for sub in ("page", "img", "files", "static"):  # never "missing": the broken targets' folder
        (directory / sub).mkdir(parents=True, exist_ok=True)
    images, attachments = max(1, pages // PAGES_PER_IMAGE), max(1, pages // PAGES_PER_ATTACHMENT)
    titles = {page_path(i): title(i) for i in range(pages)}
    linked = {page_path(0), STYLESHEET}
    for i, targets in enumerate(links):
        image, attachment = f"/img/{i % images}.png", f"/files/{i % attachments}.pdf" if i % ATTACHMENT_EVERY == 0 else None
        linked.update(targets, [image, attachment] if attachment else [image])
        html = _render(i, targets, titles, image, attachment)
        path = directory / "index.html" if i == 0 else directory / "page" / f"{i}.html"
        path.write_text(html, encoding="utf-8")
    for k in range(images):
        (directory / "img" / f"{k}.png").write_bytes(PNG)
    for k in range(attachments):
        (directory / "files" / f"{k}.pdf").write_bytes(PDF)
    (directory / STYLESHEET.lstrip("/")).write_text(CSS, encoding="utf-8")

    site = Site(directory, pages, links_per_page, [page_path(i) for i in range(pages)],
                sorted({target for _, target in broken_pairs}), sorted(broken_pairs), depth,
                sorted(linked))
    truth = {"pages": pages, "links_per_page": links_per_page, "broken_ratio": broken_ratio, "seed": seed,
             "depth": depth, "images": images, "attachments": attachments,
             "broken_targets": site.broken_targets, "broken_pairs": [list(pair) for pair in site.broken_pairs]}
    (directory / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return site


def _page_links(index: int, pages: int, links_per_page: int, children: int, rng: random.Random) -> list[str]:
    """The page's links: its children in the tree, its parent, then other pages at random."""
    first_child = index * children + 1
    targets = [page_path(c) for c in range(first_child, min(first_child + children, pages))]
    if index > 0:
        targets.append(page_path((index - 1) // children))
    candidates = (page_path(c) for c in rng.sample(range(pages), min(pages, 2 * links_per_page)))
    others = [path for path in candidates if path not in targets and path != page_path(index)]
    return (targets + others)[:links_per_page]


def _plant_broken(links: list[list[str]], children: int, pages: int, links_per_page: int, ratio: float,
                  rng: random.Random) -> set[tuple[str, str]]:
    """Turn about `ratio` of all links into links to missing pages; tree links are never touched."""
    wanted = round(pages * links_per_page * ratio)
    slots = [(i, s) for i, targets in enumerate(links) for s in range(len(targets))
             if s >= _tree_links(i, pages, children)]
    chosen = rng.sample(slots, min(wanted, len(slots)))
    missing = [f"/missing/{j}.html" for j in range(max(1, (len(chosen) * 2) // 3))]  # some linked twice
    pairs = set()
    for n, (i, s) in enumerate(chosen):
        target = missing[n % len(missing)]
        links[i][s] = target
        pairs.add((page_path(i), target))
    return pairs


def _tree_links(index: int, pages: int, children: int) -> int:
    """How many of the page's first links are tree edges (children and the parent)."""
    first_child = index * children + 1
    return max(0, min(first_child + children, pages) - first_child) + (1 if index > 0 else 0)


def _depth(links: list[list[str]]) -> int:
    """Hops from the index to the farthest page, following the links as generated."""
    by_path = {page_path(i): targets for i, targets in enumerate(links)}
    seen, frontier, depth = {"/"}, {"/"}, 0
    while True:
        frontier = {t for p in frontier for t in by_path[p] if t in by_path and t not in seen}
        if not frontier:
            return depth
        seen |= frontier
        depth += 1


def _render(index: int, targets: list[str], titles: dict[str, str], image: str, attachment: str | None) -> str:
    """The page's HTML; a link's text is its target's title, as a CMS writes it."""
    items = "\n".join(f'<li><a href="{t}">{titles.get(t, "已删除的公告")}</a></li>' for t in targets)
    download = f'<p>附件：<a href="{attachment}">{title(index)}.pdf</a></p>\n' if attachment else ""
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">\n'
            f'<title>{title(index)}</title>\n<link rel="stylesheet" href="{STYLESHEET}"></head>\n'
            f'<body><h1>{title(index)}</h1>\n<img src="{image}" alt="{title(index)}">\n'
            f'<p>{FILLER}</p>\n{download}<nav><ul>\n{items}\n</ul></nav>\n</body></html>\n')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the benchmark's static site and its truth.json.")
    parser.add_argument("directory")
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--links", type=int, default=20, help="links per page")
    parser.add_argument("--broken-ratio", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    site = generate(args.directory, args.pages, args.links, args.broken_ratio, args.seed)
    print(f"{site.pages} pages, {len(site.broken_pairs)} broken links to {len(site.broken_targets)} "
          f"missing pages, depth {site.depth}: {site.directory}")


if __name__ == "__main__":
    main()
