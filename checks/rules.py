"""Load, validate and merge the rules of the disclosure-column checks (checks/rules.yaml).

The file is the default; a `rules:` key of sites.yaml overrides it (see the head of rules.yaml
for how entries merge). Every problem is reported as one line naming the file and line (or
`rules:` for an override from sites.yaml) and the key, so a typo never becomes a traceback or,
worse, a silently ignored rule.
"""
from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from checks.findings import CATALOG

DEFAULT_PATH = Path(__file__).with_name("rules.yaml")

ARTICLE, LIST = "article", "list"
SECTION_KINDS = (ARTICLE, LIST)

# Lists whose entries are merged by `name` when an override gives them.
_NAMED_LISTS = {("sections",), ("news_columns",), ("metadata", "fields"), ("indicators", "single_veto"),
                ("indicators", "deductions")}

# Where an indicator counts a finding: on the unit's home page, on any other page, anywhere.
HOME, OTHER, ANY = "home", "other", "any"
PLACES = (HOME, OTHER, ANY)


class RulesError(ValueError):
    """A rules file or override that cannot be used; the message is one line."""


@dataclass(frozen=True)
class SectionRule:
    canonical: str
    variants: tuple[str, ...]
    kind: str  # ARTICLE | LIST
    stale_after_days: int | None
    required: bool = True
    metadata: tuple[str, ...] = ()  # the metadata fields every item of the section must carry

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name first, then the variants."""
        return (self.canonical, *self.variants)


@dataclass(frozen=True)
class AnnualReportRule:
    section: str  # canonical name of the annual-report section
    due_month: int
    due_day: int
    title_keywords: tuple[str, ...]

    def due(self, year: int) -> dt.date:
        """The last day on which the report for year - 1 may still be missing."""
        return dt.date(year, self.due_month, self.due_day)


@dataclass(frozen=True)
class MetadataField:
    canonical: str
    labels: tuple[str, ...]
    required: bool  # false: never demanded, whatever a section's `metadata` says
    meta_names: tuple[str, ...] = ()  # <meta name="…"> tags that give the field (PubDate)


@dataclass(frozen=True)
class WrongLinkRules:
    min_text_chars: int
    max_title_similarity: float
    own_content_words: tuple[str, ...]
    parked_keywords: tuple[str, ...]
    gambling_keywords: tuple[str, ...]


@dataclass(frozen=True)
class Indicator:
    """One indicator of the national website inspection: which findings it counts, and where.

    A single-veto indicator has `at_least` or `share_of_runs`; a deduction has `points` (and
    maybe `max_points`).
    """

    name: str
    checks: tuple[str, ...]
    page: str = ANY  # HOME | OTHER | ANY
    at_least: int | None = None
    share_of_runs: float | None = None
    points: float = 0.0
    max_points: float | None = None


@dataclass(frozen=True)
class Indicators:
    pass_score: float
    single_veto: tuple[Indicator, ...]
    deductions: tuple[Indicator, ...]


@dataclass(frozen=True)
class Rules:
    sections: tuple[SectionRule, ...]  # required sections, then the optional news columns
    annual_report: AnnualReportRule
    metadata_fields: tuple[MetadataField, ...]
    current_column_keywords: tuple[str, ...]
    invalid_validity_keywords: tuple[str, ...]
    valid_validity_phrases: tuple[str, ...]
    wrong_link: WrongLinkRules
    indicators: Indicators
    ipv6_link_share_threshold: float = 0.9

    def section(self, canonical: str) -> SectionRule | None:
        return next((s for s in self.sections if s.canonical == canonical), None)


def load_rules(override: dict | None = None, path: str | Path | None = None,
               override_where: Where | None = None) -> Rules:
    """The rules of `path` (default checks/rules.yaml), with `override` (sites.yaml `rules:`).

    `override_where` names where a key of the override is written (`sites.yaml:12`); errors of
    the override say `rules` without it.
    """
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{path}: cannot read: {exc.strerror or exc}") from None
    data, lines = _parse_yaml(text, path)

    def in_file(keys: tuple) -> str:
        return f"{path}:{line_of(lines, keys)}"

    _validate(data, in_file)
    if override is None:
        return _build(data)
    if not isinstance(override, dict):
        raise RulesError(f"rules: must be a mapping of rule keys, not {_kind(override)}")
    merged = _merge(data, override, ())
    # The file alone is valid, so whatever is wrong now came from the override.
    _validate(merged, override_where or (lambda keys: "rules"))
    return _build(merged)


# --- YAML with line numbers -------------------------------------------------------------------

def _parse_yaml(text: str, path: Path) -> tuple[Any, dict[tuple, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RulesError(f"{where}: invalid YAML: {problem}") from None
    lines: dict[tuple, int] = {}
    if node is not None:
        record_lines(node, (), lines)
    return data, lines


def record_lines(node: yaml.Node, keys: tuple, lines: dict[tuple, int]) -> None:
    """The line of every key path under `node` (the key's own line for a mapping entry)."""
    lines[keys] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            record_lines(value_node, keys + (key_node.value,), lines)
            # the key's own line is where a bad value of that key is best pointed at
            lines[keys + (key_node.value,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            record_lines(item, keys + (i,), lines)


def line_of(lines: dict[tuple, int], keys: tuple) -> int:
    """The line of `keys`, or of its nearest recorded parent."""
    while keys not in lines and keys:
        keys = keys[:-1]
    return lines.get(keys, 1)


# --- merging an override ----------------------------------------------------------------------

def _merge(base: Any, override: Any, keys: tuple) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value, keys + (key,)) if key in base else copy.deepcopy(value)
        return merged
    if keys in _NAMED_LISTS and isinstance(base, list) and isinstance(override, list) and all(
        isinstance(entry, dict) and isinstance(entry.get("name"), str) for entry in override
    ):  # entries matched by name; anything else replaces the list, and validation judges it
        merged_list = [dict(entry) for entry in base]
        by_name = {entry.get("name"): entry for entry in merged_list if isinstance(entry, dict)}
        for entry in override:
            if entry["name"] in by_name:
                by_name[entry["name"]].update(copy.deepcopy(entry))
            else:
                merged_list.append(copy.deepcopy(entry))
        return merged_list
    return copy.deepcopy(override)


# --- validation -------------------------------------------------------------------------------

Where = Callable[[tuple], str]


def _fail(where: Where, keys: tuple, problem: str, data: Any = None) -> None:
    raise RulesError(f"{where(keys)}: {_show(keys, data)}: {problem}")


def _show(keys: tuple, data: Any) -> str:
    """A key path as a reader sees it: sections[政府信息公开年报].kind, metadata.fields[2]."""
    shown, node = "", data
    for key in keys:
        if isinstance(key, int):
            entry = node[key] if isinstance(node, list) and key < len(node) else None
            name = entry.get("name") if isinstance(entry, dict) else None
            shown += f"[{name}]" if isinstance(name, str) and name else f"[{key}]"
        else:
            shown += ("." if shown else "") + str(key)
        node = node[key] if isinstance(node, (dict, list)) and _has(node, key) else None
    return shown or "rules"


def _has(node: dict | list, key: Any) -> bool:
    return key in node if isinstance(node, dict) else isinstance(key, int) and key < len(node)


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false",
            type(None): "empty"}.get(type(value), repr(value))


def _mapping(data: Any, keys: tuple, value: Any, where: Where, allowed: set[str],
             required: set[str]) -> dict:
    if not isinstance(value, dict):
        _fail(where, keys, f"must be a mapping, not {_kind(value)}", data)
    for key in value:
        if key not in allowed:
            _fail(where, keys + (key,), f"unknown key (known: {', '.join(sorted(allowed))})", data)
    for key in sorted(required - set(value)):
        _fail(where, keys, f"missing key '{key}'", data)
    return value


def _words(data: Any, keys: tuple, value: Any, where: Where, allow_empty: bool = True) -> None:
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        _fail(where, keys, "must be a list of non-empty texts", data)
    if not allow_empty and not value:
        _fail(where, keys, "must not be empty", data)


def _positive_int(data: Any, keys: tuple, value: Any, where: Where) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        _fail(where, keys, f"must be a positive whole number, not {value!r}", data)


def _share(data: Any, keys: tuple, value: Any, where: Where) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        _fail(where, keys, f"must be a number between 0 and 1, not {value!r}", data)


def _name(data: Any, keys: tuple, value: Any, where: Where) -> None:
    if not isinstance(value, str) or not value.strip():
        _fail(where, keys, "must be a non-empty text", data)


def _validate(data: Any, where: Where) -> None:
    top = _mapping(data, (), data, where,
                   {"sections", "news_stale_days", "news_columns", "annual_report", "metadata",
                    "wrong_link", "ipv6_link_share_threshold", "indicators"},
                   {"sections", "annual_report", "metadata", "wrong_link", "indicators"})
    section_names = _validate_sections(data, ("sections",), top["sections"], where, news=False)
    if "news_stale_days" in top:
        _positive_int(data, ("news_stale_days",), top["news_stale_days"], where)
    if "news_columns" in top:
        news_names = _validate_sections(data, ("news_columns",), top["news_columns"], where, news=True)
        for i, name in enumerate(news_names):
            if name in section_names:
                _fail(where, ("news_columns", i, "name"), f"'{name}' is already a section", data)
    if "ipv6_link_share_threshold" in top:
        _share(data, ("ipv6_link_share_threshold",), top["ipv6_link_share_threshold"], where)

    keys = ("annual_report",)
    annual = _mapping(data, keys, top["annual_report"], where,
                      {"section", "due", "title_keywords"}, {"section", "due", "title_keywords"})
    if annual["section"] not in section_names:
        _fail(where, keys + ("section",), f"'{annual['section']}' is not one of the sections", data)
    if _due(annual["due"]) is None:
        _fail(where, keys + ("due",), f"must be a month-day like \"01-31\", not {annual['due']!r}", data)
    _words(data, keys + ("title_keywords",), annual["title_keywords"], where, allow_empty=False)

    keys = ("metadata",)
    meta = _mapping(data, keys, top["metadata"], where,
                    {"fields", "current_column_keywords", "invalid_validity_keywords",
                     "valid_validity_phrases"},
                    {"fields", "current_column_keywords", "invalid_validity_keywords"})
    fields = meta["fields"]
    if not isinstance(fields, list) or not fields:
        _fail(where, keys + ("fields",), "must be a non-empty list of fields", data)
    seen: set[str] = set()
    for i, field in enumerate(fields):
        fkeys = keys + ("fields", i)
        _mapping(data, fkeys, field, where, {"name", "labels", "required", "meta"}, {"name", "labels", "required"})
        _name(data, fkeys + ("name",), field["name"], where)
        if field["name"] in seen:
            _fail(where, fkeys + ("name",), f"field '{field['name']}' is given twice", data)
        seen.add(field["name"])
        _words(data, fkeys + ("labels",), field["labels"], where, allow_empty=False)
        if not isinstance(field["required"], bool):
            _fail(where, fkeys + ("required",), "must be true or false", data)
        if "meta" in field:
            _words(data, fkeys + ("meta",), field["meta"], where)
    for i, section in enumerate(top["sections"]):
        skeys = ("sections", i, "metadata")
        if "metadata" in section:
            _words(data, skeys, section["metadata"], where)
            for name in section["metadata"]:
                if name not in seen:
                    _fail(where, skeys, f"'{name}' is not one of metadata.fields", data)
    for key in ("current_column_keywords", "invalid_validity_keywords"):
        _words(data, keys + (key,), meta[key], where, allow_empty=False)
    if "valid_validity_phrases" in meta:
        _words(data, keys + ("valid_validity_phrases",), meta["valid_validity_phrases"], where)

    keys = ("wrong_link",)
    wrong = _mapping(data, keys, top["wrong_link"], where,
                     {"min_text_chars", "max_title_similarity", "own_content_words",
                      "parked_keywords", "gambling_keywords"},
                     {"min_text_chars", "max_title_similarity", "parked_keywords", "gambling_keywords"})
    _positive_int(data, keys + ("min_text_chars",), wrong["min_text_chars"], where)
    _share(data, keys + ("max_title_similarity",), wrong["max_title_similarity"], where)
    for key in ("own_content_words", "parked_keywords", "gambling_keywords"):
        if key in wrong:
            _words(data, keys + (key,), wrong[key], where)
    _validate_indicators(data, top["indicators"], where)


def _number(data: Any, keys: tuple, value: Any, where: Where) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        _fail(where, keys, f"must be a number of at least 0, not {value!r}", data)


def _validate_indicators(data: Any, indicators: Any, where: Where) -> None:
    keys = ("indicators",)
    _mapping(data, keys, indicators, where, {"pass_score", "single_veto", "deductions"},
             {"pass_score", "single_veto", "deductions"})
    _number(data, keys + ("pass_score",), indicators["pass_score"], where)
    for group, measures in (("single_veto", {"at_least", "share_of_runs"}), ("deductions", {"points", "max_points"})):
        entries = indicators[group]
        if not isinstance(entries, list):
            _fail(where, keys + (group,), f"must be a list of indicators, not {_kind(entries)}", data)
        names: set[str] = set()
        for i, entry in enumerate(entries):
            ikeys = keys + (group, i)
            _mapping(data, ikeys, entry, where, {"name", "checks", "page"} | measures, {"name", "checks"})
            _name(data, ikeys + ("name",), entry["name"], where)
            if entry["name"] in names:
                _fail(where, ikeys + ("name",), f"indicator '{entry['name']}' is given twice", data)
            names.add(entry["name"])
            _words(data, ikeys + ("checks",), entry["checks"], where, allow_empty=False)
            for code in entry["checks"]:
                if code not in CATALOG:
                    _fail(where, ikeys + ("checks",), f"unknown check code '{code}' (see docs/checks.md)", data)
            if entry.get("page", ANY) not in PLACES:
                _fail(where, ikeys + ("page",), f"must be one of {', '.join(PLACES)}, not {entry['page']!r}", data)
            given = measures & set(entry)
            if group == "single_veto":
                if len(given) != 1:
                    _fail(where, ikeys, "needs exactly one of at_least, share_of_runs", data)
                if "at_least" in entry:
                    _positive_int(data, ikeys + ("at_least",), entry["at_least"], where)
                else:
                    _share(data, ikeys + ("share_of_runs",), entry["share_of_runs"], where)
            else:
                if "points" not in entry:
                    _fail(where, ikeys, "missing key 'points'", data)
                for key in sorted(given):
                    _number(data, ikeys + (key,), entry[key], where)


def _validate_sections(data: Any, keys: tuple, sections: Any, where: Where, news: bool) -> list[str]:
    if not isinstance(sections, list) or (not sections and not news):
        _fail(where, keys, "must be a non-empty list of sections", data)
    allowed = {"name", "variants", "required"} | ({"stale_after_days"} if news else
                                                   {"kind", "stale_after_days", "metadata"})
    names: list[str] = []
    for i, section in enumerate(sections):
        skeys = keys + (i,)
        _mapping(data, skeys, section, where, allowed, {"name"} if news else {"name", "kind"})
        _name(data, skeys + ("name",), section["name"], where)
        if section["name"] in names:
            _fail(where, skeys + ("name",), f"section '{section['name']}' is given twice", data)
        names.append(section["name"])
        if not news and section["kind"] not in SECTION_KINDS:
            _fail(where, skeys + ("kind",),
                  f"must be one of {', '.join(SECTION_KINDS)}, not {section['kind']!r}", data)
        if "variants" in section:
            _words(data, skeys + ("variants",), section["variants"], where)
        if section.get("stale_after_days") is not None:
            _positive_int(data, skeys + ("stale_after_days",), section["stale_after_days"], where)
        if "required" in section and not isinstance(section["required"], bool):
            _fail(where, skeys + ("required",), "must be true or false", data)
    return names


def _due(value: Any) -> tuple[int, int] | None:
    if not isinstance(value, str):
        return None
    try:
        # 2001 is not a leap year: a due date of 02-29 is refused rather than skipped
        day = dt.datetime.strptime(f"2001-{value.strip()}", "%Y-%m-%d").date()
    except ValueError:
        return None
    return day.month, day.day


# --- building the dataclasses -----------------------------------------------------------------

def _build(data: dict) -> Rules:
    news_days = data.get("news_stale_days", 14)
    sections = [
        SectionRule(
            canonical=s["name"].strip(),
            variants=tuple(v.strip() for v in s.get("variants", [])),
            kind=s["kind"],
            stale_after_days=s.get("stale_after_days"),
            required=s.get("required", True),
            metadata=tuple(s.get("metadata", [])),
        )
        for s in data["sections"]
    ]
    sections += [
        SectionRule(
            canonical=s["name"].strip(),
            variants=tuple(v.strip() for v in s.get("variants", [])),
            kind=LIST,
            stale_after_days=s.get("stale_after_days") or news_days,
            required=s.get("required", False),
        )
        for s in data.get("news_columns", [])
    ]
    annual = data["annual_report"]
    month, day = _due(annual["due"])
    meta = data["metadata"]
    wrong = data["wrong_link"]
    return Rules(
        sections=tuple(sections),
        annual_report=AnnualReportRule(annual["section"], month, day, tuple(annual["title_keywords"])),
        metadata_fields=tuple(
            MetadataField(f["name"].strip(), tuple(f["labels"]), f["required"], tuple(f.get("meta", [])))
            for f in meta["fields"]
        ),
        current_column_keywords=tuple(meta["current_column_keywords"]),
        invalid_validity_keywords=tuple(meta["invalid_validity_keywords"]),
        valid_validity_phrases=tuple(meta.get("valid_validity_phrases", [])),
        wrong_link=WrongLinkRules(
            min_text_chars=wrong["min_text_chars"],
            max_title_similarity=float(wrong["max_title_similarity"]),
            own_content_words=tuple(wrong.get("own_content_words", [])),
            parked_keywords=tuple(wrong["parked_keywords"]),
            gambling_keywords=tuple(wrong["gambling_keywords"]),
        ),
        indicators=_build_indicators(data["indicators"]),
        ipv6_link_share_threshold=float(data.get("ipv6_link_share_threshold", 0.9)),
    )


def _build_indicators(data: dict) -> Indicators:
    def indicator(entry: dict) -> Indicator:
        return Indicator(
            name=entry["name"].strip(), checks=tuple(entry["checks"]), page=entry.get("page", ANY),
            at_least=entry.get("at_least"), share_of_runs=entry.get("share_of_runs"),
            points=float(entry.get("points", 0)), max_points=entry.get("max_points"),
        )

    return Indicators(float(data["pass_score"]), tuple(map(indicator, data["single_veto"])),
                      tuple(map(indicator, data["deductions"])))
