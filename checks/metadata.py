"""Core metadata of a disclosed item (docs/checks.md): parsing and the missing_metadata /
invalid_document findings.

Item pages show their metadata as a table (label cell, value cell), as `label：value` lines, or
as `【label】value` runs; labels carry full-width spaces (文　　号) and synonyms (发文字号). The
page text is cut into lines at block boundaries (cells included), and every label of rules.yaml
is looked for in them, so all three forms, and mixtures of them, read the same. A field the page
shows no value for is taken from the `<meta name="…">` tags rules.yaml names for it (PubDate).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import lxml.html

from checks.findings import Finding
from checks.rules import MetadataField, Rules, load_rules
from checks.page import ParsedPage, as_parsed

# Elements that end a line of text as a reader sees it.
_BLOCKS = {"p", "div", "br", "li", "tr", "td", "th", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
           "table", "tbody", "thead", "ul", "ol", "dl", "section", "article", "header", "footer",
           "form", "hr", "caption", "blockquote", "pre", "center"}
# Inside a value: the start of another `label:` that rules.yaml does not know (浏览次数:, 来源:).
_NEXT_LABEL = re.compile(r"\s+[^\s:]{1,8}:")
# A line that starts with a label of its own (【效力说明】, 浏览次数:) is not the value of the line before.
_LABEL_START = re.compile(r"^(?:【[^】]{1,12}】|[^\s:]{1,8}:)")
_FILLER = " \t|丨/\\-—–_"


def parse_metadata(html: str | ParsedPage, rules: Rules | None = None) -> dict[str, str]:
    """The item's metadata by canonical field name (文号, 发布机构, ...); an empty value is kept as ''."""
    rules = rules or _default_rules()
    root = as_parsed(html).content
    lines = [line for line in _lines(root) if line]
    label_re = _label_pattern(tuple((f.canonical, f.labels) for f in rules.metadata_fields))
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        matches = list(label_re.finditer(line))
        if not matches:
            continue
        for number, match in enumerate(matches):
            end = matches[number + 1].start() if number + 1 < len(matches) else len(line)
            value = line[match.end(): end]
            value = _NEXT_LABEL.split(value, maxsplit=1)[0].strip(_FILLER)
            alone = len(matches) == 1 and not line[: match.start()].strip() and not value
            if alone and index + 1 < len(lines) and not _LABEL_START.match(lines[index + 1]):
                # a label cell (or a label line) whose value is the next cell
                value = _NEXT_LABEL.split(lines[index + 1], maxsplit=1)[0].strip(_FILLER)
            canonical = _canonical(match, rules.metadata_fields)
            if not found.get(canonical):  # the first value given wins; an empty one is kept as ''
                found[canonical] = value
    tags = _meta_tags(root)
    for field in rules.metadata_fields:
        given = next((tags[name.lower()] for name in field.meta_names if tags.get(name.lower())), None)
        if given and not found.get(field.canonical):
            found[field.canonical] = given
    return found


def _meta_tags(root: lxml.html.HtmlElement) -> dict[str, str]:
    """The page's `<meta name content>` pairs, names lowercased, contents with white space collapsed."""
    tags: dict[str, str] = {}
    for meta in root.iter("meta"):
        name, content = (meta.get("name") or "").strip().lower(), " ".join((meta.get("content") or "").split())
        if name and content:
            tags.setdefault(name, content)
    return tags


@lru_cache(maxsize=1)
def _default_rules() -> Rules:
    return load_rules()


def _lines(root: lxml.html.HtmlElement) -> list[str]:
    parts: list[str] = []

    def walk(element) -> None:
        block = isinstance(element.tag, str) and element.tag in _BLOCKS
        if block:
            parts.append("\n")
        if element.text and isinstance(element.tag, str):
            parts.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    walk(root)
    text = unicodedata.normalize("NFKC", "".join(parts))
    return [" ".join(line.split()) for line in text.split("\n")]


@lru_cache(maxsize=8)
def _label_pattern(fields: tuple[tuple[str, tuple[str, ...]], ...]) -> re.Pattern:
    """A label inside 【】, or at a line start or after a space followed by a colon or nothing."""
    labels = sorted({unicodedata.normalize("NFKC", label) for _, field_labels in fields for label in field_labels},
                    key=len, reverse=True)
    spaced = ["\\s*".join(re.escape(ch) for ch in label if not ch.isspace()) for label in labels]
    label = f"(?P<label>{'|'.join(spaced)})"
    # 【label】 delimits itself; a bare label must start the line or follow a space, so that
    # prose ("具有法律效力：") is not read as a label
    return re.compile(
        rf"【\s*{label}\s*】\s*:?"
        rf"|(?:^|(?<=\s))(?:\[\s*{label.replace('<label>', '<label2>')}\s*\]\s*:?"
        rf"|{label.replace('<label>', '<label3>')}\s*(?::|$))"
    )


def _canonical(match: re.Match, fields: tuple[MetadataField, ...]) -> str:
    said = "".join((match.group("label") or match.group("label2") or match.group("label3")).split())
    for field in fields:
        if any("".join(unicodedata.normalize("NFKC", label).split()) == said for label in field.labels):
            return field.canonical
    raise AssertionError(f"label {said} matched but belongs to no field")


def is_current_column(name: str, rules: Rules) -> bool:
    """Whether a column's name says it lists documents in force (现行有效规范性文件)."""
    name = "".join(unicodedata.normalize("NFKC", name or "").split())
    return any(keyword in name for keyword in rules.current_column_keywords)


def metadata_findings(
    unit_id: str,
    page_url: str,
    title: str,
    metadata: dict[str, str],
    rules: Rules,
    section: str,
    column_name: str,
) -> list[Finding]:
    """The findings of an item listed by `section` (canonical) under `column_name` (its name on the page).

    missing_metadata for the fields the section's items must carry that are absent or empty (none
    for sections whose items are not disclosed documents: news, statistics, annual reports);
    invalid_document for a validity saying 失效/废止/已修改 while a 现行有效 column lists it.
    """
    findings: list[Finding] = []
    rule = rules.section(section)
    demanded = {f.canonical for f in rules.metadata_fields if f.required} & set(rule.metadata if rule else ())
    missing = [f.canonical for f in rules.metadata_fields if f.canonical in demanded and not metadata.get(f.canonical)]
    if missing:
        findings.append(Finding(unit_id, "missing_metadata", page_url,
                                f"缺少核心元数据：{'、'.join(missing)}"))
    validity = (metadata.get(_validity_field(rules)) or "").strip()
    if is_current_column(column_name, rules) and validity and _is_invalid(validity, rules):
        findings.append(Finding(unit_id, "invalid_document", page_url,
                                f"“{title}”的有效性为“{validity}”，却列在现行有效文件栏目中"))
    return findings


def _validity_field(rules: Rules) -> str:
    """The canonical name of the validity field: the one whose labels include 有效性 or 效力."""
    for field in rules.metadata_fields:
        if any(label in ("有效性", "效力") for label in field.labels):
            return field.canonical
    return "有效性"


def _is_invalid(validity: str, rules: Rules) -> bool:
    text = "".join(unicodedata.normalize("NFKC", validity).split())
    for phrase in rules.valid_validity_phrases:
        text = text.replace(phrase, "")
    return any(keyword in text for keyword in rules.invalid_validity_keywords)
