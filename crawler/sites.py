"""sites.yaml: the units to crawl (docs/sites-yaml.md).

The file is read as a YAML node tree rather than plain Python data so that every error can name
the line it is on: a site administrator editing 43 units must be told `sites.yaml:57: ...`, not
handed a traceback.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from checks.rules import RulesError, line_of, load_rules, record_lines

SCOPES = ("disclosure", "site")
DEFAULTS = {"scope": "disclosure", "max_depth": 4, "max_pages": 3000, "verify_within": 7}

_TOP_KEYS = ("defaults", "units", "rules", "notice")
_NOTICE_KEYS = ("office", "contact", "reply_working_days", "recipients", "holidays", "makeup_workdays")
_UNIT_KEYS = ("id", "name", "url", "disclosure_url", *DEFAULTS)
_REQUIRED_UNIT_KEYS = ("id", "name", "url")
_ID_RE = re.compile(r"[a-z0-9_-]+")


class ConfigError(Exception):
    """Bad configuration: its text is one line naming the file and line, or the bad value."""

    def __init__(self, problem: str, path: str | None = None, line: int | None = None):
        # One line whatever the problem quotes: the CLI prints it as is.
        self.problem = " ".join(problem.splitlines())
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.path is None:
            return self.problem
        if self.line is None:
            return f"{self.path}: {self.problem}"
        return f"{self.path}:{self.line}: {self.problem}"


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    url: str
    disclosure_url: str | None
    scope: str
    max_depth: int
    max_pages: int  # pages fetched in one run: a net against traps, not a cap on coverage
    verify_within: int = DEFAULTS["verify_within"]  # days: every known page and target re-verified this often


@dataclass(frozen=True)
class NoticeSettings:
    """Who signs the rectification notices and the bulletins (`notice:` of sites.yaml)."""

    office: str = "政务公开办公室"  # the issuing office, in the letterhead and the signature
    contact: str = ""  # 联系人 and phone, printed under the requirements
    reply_working_days: int = 15  # the unit replies within this many working days
    recipients: str = "各直属海关"  # 主送 of the bulletin
    # public holidays on weekdays, and the weekend days worked instead (调休), for the deadline
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class SitesConfig:
    path: str
    units: list[Unit]
    rules: dict = field(default_factory=dict)  # overrides of checks/rules.yaml, validated there
    notice: NoticeSettings = field(default_factory=NoticeSettings)

    def select(self, ids: Iterable[str] | None) -> list[Unit]:
        """The units named by `ids` in the order given (duplicates once); all units when none."""
        if not ids:
            return list(self.units)
        by_id = {unit.id: unit for unit in self.units}
        selected: dict[str, Unit] = {}
        for unit_id in ids:
            if unit_id not in by_id:
                known = ", ".join(by_id)
                raise ConfigError(f"unknown unit id {unit_id!r} (known: {known})", self.path)
            selected[unit_id] = by_id[unit_id]
        return list(selected.values())


def load_sites(path: str | Path) -> SitesConfig:
    """Read and validate a sites.yaml; raises ConfigError on any problem."""
    path = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError("file not found", path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", path) from None
    try:
        text = raw.decode("utf-8-sig")  # a BOM from a Windows editor is harmless
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError("not UTF-8 text", path, line) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(f"YAML syntax error: {exc.problem or exc.context}", path, line) from None
    except yaml.reader.ReaderError as exc:  # a control character: no mark, only a position
        line = text[: exc.position].count("\n") + 1
        problem = f"YAML syntax error: unacceptable character #x{exc.character:04x}"
        raise ConfigError(problem, path, line) from None
    return _Reader(path).sites(root)


def unit_from_url(url: str, scope: str | None = None) -> Unit:
    """A unit for a spot check of a bare URL: named after its host, the whole site by default."""
    if scope is not None and scope not in SCOPES:
        raise ConfigError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    problem = _url_problem(url)
    if problem:
        raise ConfigError(f"{url!r}: {problem}")
    parts = urlsplit(url)
    name = parts.netloc.rpartition("@")[2].lower().removesuffix(":")  # host[:port], no user info
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass  # not IDNA-encodable: the id below is made file-name safe regardless
    # The id names the unit's CSV file: [a-z0-9_-] only, so dots and colons become hyphens.
    with_port = host if parts.port is None else f"{host}-{parts.port}"
    unit_id = re.sub(r"[^a-z0-9_]+", "-", with_port).strip("-") or "site"
    return Unit(
        id=unit_id,
        name=name,
        url=url,
        disclosure_url=None,
        scope=scope or "site",  # a URL without a disclosure column is crawled as site
        max_depth=DEFAULTS["max_depth"],
        max_pages=DEFAULTS["max_pages"],
    )


def _url_problem(url: str) -> str | None:
    """Why `url` is not an absolute http(s) URL with a host, or None when it is."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "must be an absolute http:// or https:// URL"
    if not parts.hostname:
        return "URL has no host"
    return None


# A mapping's entries by key: (key node, value node), the key node for its line.
_Entries = dict[str, tuple[Node, Node]]

_KIND_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true/false",
    type(None): "empty",
    list: "a list",
    dict: "a mapping",
}


class _Reader:
    """Turns the composed node tree into a SitesConfig, checking as it goes."""

    def __init__(self, path: str):
        self.path = path
        self._constructor = SafeConstructor()

    def error(self, node: Node, problem: str) -> ConfigError:
        return ConfigError(problem, self.path, node.start_mark.line + 1)

    def value(self, node: Node):
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            raise self.error(node, f"bad value: {exc.problem}") from None

    def kind(self, node: Node) -> str:
        if isinstance(node, MappingNode):
            return "a mapping"
        if isinstance(node, SequenceNode):
            return "a list"
        value_type = type(self.value(node))
        return _KIND_NAMES.get(value_type, "a " + value_type.__name__)

    def mapping(self, node: Node, allowed: tuple[str, ...], what: str) -> _Entries:
        """The entries of a mapping node by key, rejecting unknown and repeated keys."""
        if not isinstance(node, MappingNode):
            raise self.error(node, f"{what} must be a mapping, got {self.kind(node)}")
        entries: _Entries = {}
        for key_node, value_node in node.value:
            key = self.value(key_node) if isinstance(key_node, ScalarNode) else None
            if key not in allowed:
                shown = repr(key) if key is not None else self.kind(key_node)
                raise self.error(
                    key_node, f"unknown key {shown} in {what} (allowed: {', '.join(allowed)})"
                )
            if key in entries:
                first = entries[key][0].start_mark.line + 1
                raise self.error(
                    key_node, f"duplicate key {key!r} in {what} (first at line {first})"
                )
            entries[key] = (key_node, value_node)
        return entries

    def sites(self, root: Node | None) -> SitesConfig:
        if root is None:
            raise ConfigError("empty file: expected a mapping with 'units:'", self.path, 1)
        top = self.mapping(root, _TOP_KEYS, "the top level")
        defaults = dict(DEFAULTS)
        if "defaults" in top and not self.is_null(top["defaults"][1]):  # `defaults:` left empty
            entries = self.mapping(top["defaults"][1], tuple(DEFAULTS), "defaults")
            defaults.update({key: self.setting(key, value) for key, (_, value) in entries.items()})
        if "units" not in top:
            raise self.error(root, "missing key 'units'")
        units = self.units(top["units"][1], defaults)
        rules: dict = {}
        if "rules" in top and not self.is_null(top["rules"][1]):
            rules_node = top["rules"][1]
            if not isinstance(rules_node, MappingNode):
                kind = self.kind(rules_node)
                raise self.error(rules_node, f"rules must be a mapping, got {kind}")
            rules = self.value(rules_node)
            self.check_rules(rules, rules_node)
        notice = NoticeSettings()
        if "notice" in top and not self.is_null(top["notice"][1]):
            entries = self.mapping(top["notice"][1], _NOTICE_KEYS, "notice")
            notice = NoticeSettings(**{key: self.notice_value(key, value) for key, (_, value) in entries.items()})
        return SitesConfig(path=self.path, units=units, rules=rules, notice=notice)

    def check_rules(self, rules: dict, node: Node) -> None:
        """Validate the `rules:` override now, so that a mistake names its line in this file."""
        lines: dict[tuple, int] = {}
        record_lines(node, (), lines)
        try:
            load_rules(rules, override_where=lambda keys: f"{self.path}:{line_of(lines, keys)}")
        except RulesError as exc:
            raise ConfigError(str(exc)) from None

    def notice_value(self, key: str, node: Node):
        if key == "reply_working_days":
            return self.setting(key, node)
        if key in ("holidays", "makeup_workdays"):
            if not isinstance(node, SequenceNode):
                raise self.error(node, f"{key} must be a list of dates YYYY-MM-DD, got {self.kind(node)}")
            return frozenset(self.day(item, key) for item in node.value)
        return self.string(node, key)

    def day(self, node: Node, key: str) -> date:
        value = self.scalar(node, key)
        try:
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise self.error(node, f"{key}: {value!r} is not a date YYYY-MM-DD") from None

    def is_null(self, node: Node) -> bool:
        return isinstance(node, ScalarNode) and self.value(node) is None

    def setting(self, key: str, node: Node):
        """A scope, or a positive integer: max_depth, max_pages, verify_within (defaults, a unit), reply_working_days (notice)."""
        if key == "scope":
            value = self.scalar(node, key)
            if value not in SCOPES:
                raise self.error(node, f"scope must be one of {', '.join(SCOPES)}, got {value!r}")
            return value
        value = self.scalar(node, key)
        # bool is an int in Python, but `max_pages: yes` is a mistake, not 1.
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise self.error(node, f"{key} must be a positive integer, got {value!r}")
        return value

    def scalar(self, node: Node, key: str):
        if not isinstance(node, ScalarNode):
            raise self.error(node, f"{key} must be a single value, got {self.kind(node)}")
        return self.value(node)

    def string(self, node: Node, key: str) -> str:
        value = self.scalar(node, key)
        if not isinstance(value, str):
            raise self.error(node, f"{key} must be a string, got {self.kind(node)} ({value!r})")
        if not value.strip():
            raise self.error(node, f"{key} must not be empty")
        return value.strip()

    def url(self, node: Node, key: str) -> str:
        value = self.string(node, key)
        problem = _url_problem(value)
        if problem:
            raise self.error(node, f"{key} {value!r}: {problem}")
        return value

    def units(self, node: Node, defaults: dict) -> list[Unit]:
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"units must be a list, got {self.kind(node)}")
        if not node.value:
            raise self.error(node, "units is empty: at least one unit is needed")
        units: list[Unit] = []
        first_line: dict[str, int] = {}
        for unit_node in node.value:
            entries = self.mapping(unit_node, _UNIT_KEYS, "a unit")
            unit = self.unit(unit_node, entries, defaults)
            id_node = entries["id"][1]
            if unit.id in first_line:
                raise self.error(
                    id_node, f"duplicate unit id {unit.id!r} (first at line {first_line[unit.id]})"
                )
            first_line[unit.id] = id_node.start_mark.line + 1
            units.append(unit)
        return units

    def unit(self, node: Node, entries: _Entries, defaults: dict) -> Unit:
        for key in _REQUIRED_UNIT_KEYS:
            if key not in entries:
                raise self.error(node, f"unit without {key!r}")
        id_node = entries["id"][1]
        unit_id = self.string(id_node, "id")
        if not _ID_RE.fullmatch(unit_id):
            raise self.error(
                id_node, f"id {unit_id!r} must use only a-z, 0-9, '_' and '-' (it names a file)"
            )
        disclosure_url = None
        if "disclosure_url" in entries and not self.is_null(entries["disclosure_url"][1]):
            disclosure_url = self.url(entries["disclosure_url"][1], "disclosure_url")
        settings = {
            **defaults,
            **{key: self.setting(key, entries[key][1]) for key in DEFAULTS if key in entries},
        }
        return Unit(
            id=unit_id,
            name=self.string(entries["name"][1], "name"),
            url=self.url(entries["url"][1], "url"),
            disclosure_url=disclosure_url,
            **settings,
        )
