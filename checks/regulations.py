"""The regulation reference library (docs/regulations.md) and the check of regulation pages against it.

Items 21 and 22 of the 2021 key points: regulation texts on customs sites must be the official
current version, with accurate validity information. A library file is one version of one
regulation (or a metadata-only entry); `check_regulation_page` compares a crawled page with
every version of the regulation it names and reports `outdated_regulation` or
`repealed_regulation`.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from checks.findings import Finding

STATUSES = ("current", "superseded", "repealed")
_REQUIRED_KEYS = ("title", "version", "status")
_KEYS = {"title", "version", "status", "repealed_on", "replaced_by", "source", "unverified"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class RegulationImportError(ValueError):
    """A downloaded text that cannot become a library file (checks.regulation_import); one line
    naming the file. Defined here so the command line can catch it without loading docx/bs4."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


class LibraryError(ValueError):
    """A bad library file; the message is one line: `<file>:<line>: <problem>`."""

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")


# --- text normalisation ---------------------------------------------------------------------

# NFKC already folds full-width letters, digits, spaces and most punctuation (，；：（）！？) to
# their half-width forms; these are the variants it leaves apart that pages still mix freely.
_CHAR_MAP = str.maketrans(
    {
        "“": '"', "”": '"', "„": '"', "「": '"', "」": '"', "『": '"', "』": '"',
        "‘": "'", "’": "'",
        "—": "-", "–": "-", "―": "-", "‐": "-",
        "〔": "[", "〕": "]",
        "○": "〇",
        "・": "·", "•": "·",
        "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    }
)
_CN_DIGITS = "零一二三四五六七八九"
_CN_VALUES = {**{c: i for i, c in enumerate(_CN_DIGITS)}, "〇": 0, "两": 2}
_CN_NUMBER = "[零〇一二两三四五六七八九十百千]+"
_ARABIC_ARTICLE = re.compile(r"第(\d+)条")
# "第 十八 条", "第二 章": spaces inside a header, from justified layouts or table cells.
_SPACED_HEADER = re.compile(r"第(?:\s*[零〇一二两三四五六七八九十百千\d])+\s*[条章节编]")
_WHITESPACE = re.compile(r"\s+")


def chinese_number(n: int) -> str:
    """1 -> 一, 15 -> 十五, 110 -> 一百一十: the numbering of articles (1 <= n < 10000)."""
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            out += ("零" if zero and out else "") + _CN_DIGITS[digit] + unit
            zero = False
        else:
            zero = True
    return out


def parse_chinese_number(text: str) -> int:
    """十五 -> 15, 一百零一 -> 101; digit runs without units (二〇一七) read positionally."""
    if not any(unit in text for unit in "十百千"):
        return int("".join(str(_CN_VALUES[c]) for c in text))
    total, digit = 0, 0
    for char in text:
        if char in _CN_VALUES:
            digit = _CN_VALUES[char]
        else:
            total += (digit or 1) * {"十": 10, "百": 100, "千": 1000}[char]
            digit = 0
    return total + digit


def normalize(text: str) -> str:
    """Fold the formatting variants of a text (width, quotes, 第1条) but keep its white space."""
    text = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)
    text = _SPACED_HEADER.sub(lambda m: flatten(m[0]), text)
    return _ARABIC_ARTICLE.sub(lambda m: f"第{chinese_number(int(m[1]))}条", text)


def flatten(text: str) -> str:
    """Drop all white space: line breaks and spaces carry no meaning in Chinese legal text."""
    return _WHITESPACE.sub("", text)


# --- articles ---------------------------------------------------------------------------------

# A chapter or section heading directly before an article, a further heading or the end: dropped,
# so a page that leaves headings out, or runs them into the article text, reads like the library.
_HEADING = re.compile(
    rf"(?<!\w)第{_CN_NUMBER}[编章节][\w、·\s]{{0,40}}?(?=第{_CN_NUMBER}[章节条]|\Z)"
)
# An article header stands at a boundary (start, space, punctuation), never inside a sentence
# (依照本条例第五条) nor before the words that make it a reference (第五条的规定, 第五条第二款).
_ARTICLE = re.compile(rf"(?<!\w)第({_CN_NUMBER})条(?![的规、和或至及第款项之])")
# A page that leaves an article out without renumbering (第七条, 第九条) still has its articles
# found when the header starts a line, where cross-references do not stand.
_MAX_NUMBERING_GAP = 5


@dataclass(frozen=True)
class Article:
    number: int
    body: str  # flattened text after the header

    @property
    def header(self) -> str:
        return f"第{chinese_number(self.number)}条"

    @property
    def text(self) -> str:
        return self.header + self.body


def split_articles(text: str) -> tuple[str, list[Article]]:
    """Split a regulation text into (preamble, articles), both normalised and flattened.

    Headers are taken in sequence (第一条, 第二条, ...), which keeps cross-references out.
    Joining the articles' `text` gives the flattened text from 第一条 on, without headings,
    whatever the split, so comparisons do not depend on finding every header.
    """
    text = _HEADING.sub("\n", normalize(text))
    starts: list[tuple[int, int, int]] = []
    for match in _ARTICLE.finditer(text):
        number, expected = parse_chinese_number(match[1]), starts[-1][2] + 1 if starts else 1
        if number == expected or (
            expected < number <= expected + _MAX_NUMBERING_GAP
            and not text[text.rfind("\n", 0, match.start()) + 1 : match.start()].strip()
        ):
            starts.append((match.start(), match.end(), number))
    if not starts:
        return flatten(text), []
    ends = [start for start, _, _ in starts[1:]] + [len(text)]
    articles = [
        Article(number, flatten(text[body_start:end]))
        for (_, body_start, number), end in zip(starts, ends)
    ]
    return flatten(text[: starts[0][0]]), articles


# --- revision statements ----------------------------------------------------------------------

_DATE = re.compile(
    r"(\d{4}|[〇零一二三四五六七八九]{4})\s*年"
    r"(?:\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月"
    r"(?:\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*日)?)?"
)
_PARENTHESISED = re.compile(r"\(([^()]{0,600})\)")
# In a promulgation note the act comes after the date and its agent: "2011年1月8日《国务院关于
# 废止和修改部分行政法规的决定》第一次修订". Outside one, only "2017年修订" itself counts, so a
# page's own publication date is never read as a revision.
_NOTE_ACT = re.compile(r"[^年]{0,160}?(?:公布|发布|修订|修正|通过)")
_DIRECT_ACT = re.compile(r"\s*(?:第.次)?(?:修订|修正)")


@dataclass(frozen=True, order=True)
class StatedDate:
    """A promulgation or revision date a text states; `day_known` False for "2017年修订"."""

    date: dt.date
    day_known: bool = True

    def older_than(self, version: dt.date) -> bool:
        return self.date < version if self.day_known else self.date.year < version.year

    def matches(self, version: dt.date) -> bool:
        return self.date == version if self.day_known else self.date.year == version.year

    def __str__(self) -> str:
        return format_date(self.date) if self.day_known else f"{self.date.year}年"


def _number(text: str | None) -> int | None:
    if text is None:
        return None
    return int(text) if text.isdigit() else parse_chinese_number(text)


def stated_dates(text: str) -> list[StatedDate]:
    """The promulgation/revision dates a title or a preamble states, in the order they appear."""
    text = normalize(text)
    notes = [m.span(1) for m in _PARENTHESISED.finditer(text)]
    dates = list(_DATE.finditer(text))
    found = []
    for i, match in enumerate(dates):
        after = text[match.end() : dates[i + 1].start() if i + 1 < len(dates) else len(text)]
        in_note = any(start <= match.start() < end for start, end in notes)
        if not (_NOTE_ACT if in_note else _DIRECT_ACT).match(after):
            continue
        year, month, day = (_number(g) for g in match.groups())
        try:
            found.append(StatedDate(dt.date(year, month or 1, day or 1), day is not None))
        except ValueError:  # 2月30日 and the like: not a date
            continue
    return found


def format_date(date: dt.date) -> str:
    return f"{date.year}年{date.month}月{date.day}日"


# --- the library ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RegulationVersion:
    """One library file: one version of one regulation."""

    title: str
    version: dt.date
    status: str
    path: Path
    text: str = ""  # empty for a metadata-only entry
    source: str = ""
    repealed_on: dt.date | None = None
    replaced_by: str = ""
    unverified: bool = False
    articles: tuple[Article, ...] = field(default=(), compare=False, repr=False)

    @property
    def has_text(self) -> bool:
        return bool(self.articles)


@dataclass
class RegulationTitle:
    """All the library's versions of one regulation, oldest first."""

    title: str
    versions: list[RegulationVersion]

    @property
    def latest(self) -> RegulationVersion:
        return self.versions[-1]

    @property
    def repealed(self) -> bool:
        return self.latest.status == "repealed"

    @property
    def metadata_only(self) -> bool:
        return not self.latest.has_text


_TITLE_NOTE = re.compile(
    r"\((?:\d{4}年?(?:\d{1,2}月(?:\d{1,2}日)?)?(?:第.次)?(?:修订|修正)本?|已?废止|已?失效)\)$"
)
_REMOVED_IN_TITLE = re.compile(r"[\s《》〈〉<>]")
_TITLE_SEPARATORS = re.compile(r"[\s\-–—_|｜·－]+")


def title_key(title: str) -> str:
    """How titles are compared: no 《》, no spaces, no trailing （2017年修订） or （已废止）."""
    key = _REMOVED_IN_TITLE.sub("", unicodedata.normalize("NFKC", title))
    while (stripped := _TITLE_NOTE.sub("", key)) != key:
        key = stripped
    return key


@dataclass
class Library:
    titles: dict[str, RegulationTitle] = field(default_factory=dict)  # by title_key

    def __iter__(self):
        return iter(self.titles.values())

    def __len__(self) -> int:
        return len(self.titles)

    def find_title(self, page_title: str, heading: str) -> RegulationTitle | None:
        """The regulation a page names by its main heading, else by a part of its <title>
        ("中华人民共和国海关稽查条例_南京海关" names the 条例)."""
        for candidate in (heading, page_title, *_TITLE_SEPARATORS.split(page_title or "")):
            found = self.titles.get(title_key(candidate or ""))
            if found is not None:
                return found
        return None


def default_library_dir() -> Path:
    """The library bundled with the package."""
    return Path(__file__).with_name("regulations")


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML without its own dates, so that a bad one (2020-13-01) is reported as such."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_library(directory: Path | str) -> Library:
    """Read and validate every `.md` file under `directory` (format: docs/regulations.md)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise LibraryError(directory, None, "not a directory")
    by_title: dict[str, list[tuple[RegulationVersion, int]]] = {}
    for path in sorted(directory.rglob("*.md")):
        version, status_line = _read_version(path)
        by_title.setdefault(title_key(version.title), []).append((version, status_line))
    library = Library()
    for key, entries in by_title.items():
        entries.sort(key=lambda entry: entry[0].version)
        _check_versions(entries)
        library.titles[key] = RegulationTitle(entries[-1][0].title, [v for v, _ in entries])
    return library


def _read_version(path: Path) -> tuple[RegulationVersion, int]:
    """Parse one library file; also return the line of its `status:` key for later errors."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LibraryError(path, 1, f"cannot read the file as UTF-8 ({exc})") from None
    if not lines or lines[0].strip() != "---":
        raise LibraryError(path, 1, "the file must start with a front matter block (---)")
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if closing is None:
        raise LibraryError(path, 1, "the front matter is not closed by a --- line")
    front = lines[1:closing]
    try:
        meta = yaml.load("\n".join(front), Loader=_FrontMatterLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise LibraryError(path, line, f"bad front matter: {problem}") from None
    if not isinstance(meta, dict):
        raise LibraryError(path, 2, "the front matter must be key: value lines")

    def line_of(key: str) -> int:
        pattern = re.compile(rf"\s*{re.escape(key)}\s*:")
        return next((i + 2 for i, text in enumerate(front) if pattern.match(text)), 2)

    def fail(key: str, problem: str) -> LibraryError:
        return LibraryError(path, line_of(key), problem)

    for key in meta:
        if key not in _KEYS:
            raise fail(str(key), f"unknown key {key!r} (allowed: {', '.join(sorted(_KEYS))})")
    for key in _REQUIRED_KEYS:
        if meta.get(key) in (None, ""):
            raise LibraryError(path, 2, f"missing {key}")
    for key in ("title", "replaced_by", "source"):
        if key in meta and not isinstance(meta[key], str):
            raise fail(key, f"{key} must be text")
    status = meta["status"]
    if status not in STATUSES:
        raise fail("status", f"unknown status {status!r} (one of: {', '.join(STATUSES)})")
    version = _date(meta["version"], fail("version", f"bad date {meta['version']!r} (YYYY-MM-DD)"))
    repealed_on = None
    if status == "repealed":
        if meta.get("repealed_on") is None:
            raise fail("status", "status repealed needs repealed_on")
        bad_date = fail("repealed_on", f"bad date {meta['repealed_on']!r} (YYYY-MM-DD)")
        repealed_on = _date(meta["repealed_on"], bad_date)
        if repealed_on < version:
            raise fail("repealed_on", "repealed_on is before the version date")
    elif "repealed_on" in meta:
        raise fail("repealed_on", f"repealed_on given but status is {status}")
    if not isinstance(meta.get("unverified", False), bool):
        raise fail("unverified", "unverified must be true or false")

    text = "\n".join(lines[closing + 1 :]).strip()
    _, articles = split_articles(text)
    if text and not articles:
        raise LibraryError(path, closing + 2, "the text has no articles (第一条 …)")
    return (
        RegulationVersion(
            title=meta["title"].strip(),
            version=version,
            status=status,
            path=path,
            text=text,
            source=meta.get("source", "") or "",
            repealed_on=repealed_on,
            replaced_by=(meta.get("replaced_by") or "").strip(),
            unverified=meta.get("unverified", False),
            articles=tuple(articles),
        ),
        line_of("status"),
    )


def _date(value: object, error: LibraryError) -> dt.date:
    text = str(value).strip()
    try:
        if _ISO_DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError:  # 2020-13-01
        pass
    raise error


def _check_versions(entries: list[tuple[RegulationVersion, int]]) -> None:
    """One regulation's versions, oldest first, must tell one story: older versions superseded,
    the newest current or repealed."""
    for (older, _), (newer, line) in zip(entries, entries[1:]):
        if older.version == newer.version:
            raise LibraryError(newer.path, line, f"same version {older.version} as {older.path}")
    for version, line in entries[:-1]:
        if version.status != "superseded":
            raise LibraryError(
                version.path, line,
                f"status {version.status} but a newer version exists: {entries[-1][0].path}",
            )
    latest, line = entries[-1]
    if latest.status == "superseded":
        raise LibraryError(latest.path, line, "the newest version must be current or repealed")


# --- the check --------------------------------------------------------------------------------

_IN_FORCE = re.compile("有效")
_NOT_IN_FORCE = re.compile("废止|失效|无效")
_EXCERPT_BEFORE, _EXCERPT_AFTER = 6, 18
_FULL_WIDTH = str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "!": "！", "?": "？"})
# Above this product of lengths, two differing runs of text are aligned by sentences, not chars.
_EXACT_ALIGNMENT_LIMIT = 250_000
_SENTENCE = re.compile(r"[^。;]*[。;]|[^。;]+$")


def check_regulation_page(
    unit_id: str,
    page_url: str,
    title: str,
    heading: str,
    body_text: str,
    validity_text: str,
    library: Library,
) -> list[Finding]:
    """Findings for one crawled page: `repealed_regulation` or `outdated_regulation`.

    `validity_text` is what the page's 效力/有效性 label says ('' when it has none).
    """
    regulation = library.find_title(title, heading)
    if regulation is None:
        return []
    preamble, articles = split_articles(body_text)
    if regulation.repealed:
        detail = _repealed_detail(regulation, heading, title, validity_text, articles)
        return [Finding(unit_id, "repealed_regulation", page_url, detail)] if detail else []
    if not articles:
        return []
    if regulation.metadata_only:
        detail = _stated_revision_detail(regulation, f"{heading}\n{title}\n{preamble}")
    else:
        detail = _text_detail(regulation, articles)
    return [Finding(unit_id, "outdated_regulation", page_url, detail)] if detail else []


def _repealed_detail(
    regulation: RegulationTitle, heading: str, title: str, validity: str, articles: list[Article]
) -> str:
    """Why the page presents a repealed regulation as in force, or '' when it does not."""
    if _NOT_IN_FORCE.search(f"{heading}{title}{validity}"):
        return ""  # the page itself says the regulation is no longer in force
    if _IN_FORCE.search(validity):
        shown = f"页面效力标注为“{validity.strip()}”"
    elif articles:
        shown = "页面仍登载其全文且未标注失效"
    else:
        return ""
    latest = regulation.latest
    replacement = f"，由《{latest.replaced_by}》取代" if latest.replaced_by else "，无替代法规"
    return f"《{regulation.title}》已于{format_date(latest.repealed_on)}废止{replacement}；{shown}"


def _stated_revision_detail(regulation: RegulationTitle, stated_in: str) -> str:
    """A metadata-only entry: outdated when the page states a revision older than the latest."""
    stated = stated_dates(stated_in)
    if not stated:
        return ""
    newest = max(stated)
    latest = regulation.latest
    if not newest.older_than(latest.version):
        return ""
    matching = [v for v in regulation.versions if newest.matches(v.version)]
    version = f"，对应{format_date(matching[-1].version)}版本" if matching else ""
    return (
        f"《{regulation.title}》页面标注的版本为{newest}{version}，"
        f"最新版本为{format_date(latest.version)}修订；"
        "参考库仅有该法规的版本信息而无全文，未能逐条比对"
    )


@dataclass(frozen=True)
class _Difference:
    """Where a page first departs from a version: a run of difflib opcodes over articles."""

    tag: str  # replace | equal (renumbered) | delete (the page lacks) | insert (the page adds)
    ours: tuple[Article, ...]  # the version's articles of the run
    theirs: tuple[Article, ...]  # the page's
    at_ours: int  # offsets of the first differing character in the joined texts
    at_theirs: int


@dataclass(frozen=True)
class _Comparison:
    version: RegulationVersion
    page: list[Article]  # as compared: trimmed after its last article
    similarity: float  # 0..1, share of matching characters
    difference: _Difference | None  # None when the texts are the same


def _text_detail(regulation: RegulationTitle, page: list[Article]) -> str:
    """Compare the page with every full-text version; '' when it is the current text."""
    latest = regulation.latest
    current = _compare(latest, page)
    if current.difference is None:
        return ""
    comparisons = [current] + [
        _compare(version, page) for version in regulation.versions[:-1] if version.has_text
    ]
    closest = max(comparisons, key=lambda c: (c.difference is None, c.similarity))
    if closest.version is latest:
        matched = f"页面文本与现行版本（{format_date(latest.version)}）在实质内容上不一致"
    else:
        likeness = (
            "与" if closest.difference is None else f"最接近（相似度{closest.similarity:.0%}）"
        )
        matched = (
            f"页面文本{likeness}{format_date(closest.version.version)}版本"
            f"{'一致' if closest.difference is None else ''}，"
            f"非现行版本（{format_date(latest.version)}）"
        )
    return f"《{regulation.title}》{matched}；{_describe_difference(current)}"


def _trimmed(version: RegulationVersion, page: list[Article]) -> list[Article]:
    """The page's articles with what follows the last article's text cut off.

    The last article of a page runs into whatever the page shows after it (打印本页, a footer),
    and that of an imported text into the download's own footer: when one is the other plus a
    tail, the tail is not part of the regulation.
    """
    if len(page) != len(version.articles):
        return page
    ours, theirs = version.articles[-1].body, page[-1].body
    if theirs.startswith(ours) or ours.startswith(theirs):
        return [*page[:-1], Article(page[-1].number, ours)]
    return page


def _compare(version: RegulationVersion, page: list[Article]) -> _Comparison:
    """How much of the page matches `version`, and where they first differ."""
    page = _trimmed(version, page)
    ours, theirs = version.articles, page
    if [a.text for a in ours] == [a.text for a in theirs]:  # the fast path: same text
        return _Comparison(version, page, 1.0, None)
    # Align whole articles by their bodies (renumbering does not break the alignment), then look
    # into the runs that differ character by character.
    matcher = difflib.SequenceMatcher(
        None, [a.body for a in ours], [a.body for a in theirs], autojunk=False
    )
    our_offsets, their_offsets = _offsets(ours), _offsets(theirs)
    matched, difference = 0, None
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        mine = "".join(a.text for a in ours[i1:i2])
        yours = "".join(a.text for a in theirs[j1:j2])
        if mine == yours:  # also runs the page merely split otherwise
            matched += len(mine)
            continue
        matched += len(mine) if tag == "equal" else _matching_chars(mine, yours)
        if difference is None:
            same = len(_common_prefix(mine, yours))
            difference = _Difference(
                tag, ours[i1:i2], tuple(theirs[j1:j2]),
                our_offsets[i1] + same, their_offsets[j1] + same,
            )
    total = (our_offsets[-1] + their_offsets[-1]) / 2
    return _Comparison(version, page, min(matched / total, 1.0), difference)


def _offsets(articles: list[Article] | tuple[Article, ...]) -> list[int]:
    """Start of each article in the joined text, and the total length last."""
    offsets = [0]
    for article in articles:
        offsets.append(offsets[-1] + len(article.text))
    return offsets


def _matching_chars(a: str, b: str) -> int:
    """How many characters of two differing runs of articles match.

    Exact for a changed article or two; long runs (a rewritten regulation) are aligned sentence by
    sentence instead, as a character alignment of whole texts would take seconds.
    """
    if len(a) * len(b) <= _EXACT_ALIGNMENT_LIMIT:
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    else:
        matcher = difflib.SequenceMatcher(None, _SENTENCE.findall(a), _SENTENCE.findall(b),
                                          autojunk=False)
    return sum(len("".join(matcher.a[m.a : m.a + m.size])) for m in matcher.get_matching_blocks())


def _common_prefix(a: str, b: str) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return a[:i]
    return a[: min(len(a), len(b))]


def _describe_difference(current: _Comparison) -> str:
    """The first difference with the current version, in the page's numbering, e.g.
    "首处不同在第十二条：页面为“…”，现行版本为“…”"."""
    difference = current.difference
    ours = "".join(a.text for a in current.version.articles)
    theirs = "".join(a.text for a in current.page)
    page_excerpt = f"页面为“{_excerpt(theirs, difference.at_theirs)}”"
    current_excerpt = f"现行版本为“{_excerpt(ours, difference.at_ours)}”"
    if difference.tag == "delete":
        return f"页面缺少{_span(difference.ours)}：{current_excerpt}"
    if difference.tag == "insert":
        return f"页面多出{_span(difference.theirs)}（现行版本无此内容）：{page_excerpt}"
    in_page = _article_at(current.page, difference.at_theirs, difference.at_ours,
                          current.version.articles)
    in_current = _article_at(current.version.articles, difference.at_ours, difference.at_theirs,
                             current.page)
    place = (in_page or in_current).header
    if in_page and in_current and in_page.number != in_current.number:
        place += f"（现行版本{in_current.header}）"
    return f"首处不同在{place}：{page_excerpt}，{current_excerpt}"


def _span(articles: tuple[Article, ...]) -> str:
    if len(articles) == 1:
        return articles[0].header
    return f"{articles[0].header}至{articles[-1].header}"


def _article_at(
    articles: list[Article] | tuple[Article, ...],
    offset: int,
    other_offset: int,
    other: list[Article] | tuple[Article, ...],
) -> Article | None:
    """The article where a difference at `offset` lies. When this text starts a new article
    there but the other text goes on within one, the difference is the end of the article
    before (a sentence added or left out at its end), not the start of the next."""
    starts = _offsets(articles)
    if offset in starts[1:] and other_offset not in _offsets(other):
        offset -= 1
    for article, end in zip(articles, starts[1:]):
        if offset < end:
            return article
    return None


def _excerpt(text: str, at: int) -> str:
    """A few characters either side of `at`, in the full-width punctuation of legal texts."""
    start = max(0, at - _EXCERPT_BEFORE)
    piece = text[start : at + _EXCERPT_AFTER].translate(_FULL_WIDTH)
    if not piece[at - start :]:
        piece += "（无）"
    return ("…" if start else "") + piece + ("…" if at + _EXCERPT_AFTER < len(text) else "")
