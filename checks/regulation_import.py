"""`regulations import` and `regulations list`: texts downloaded from the national regulation
database (.txt, .html, .docx) become library files (docs/regulations.md), without asking anything.

The title is the line naming a 条例/法/规定/办法/细则/规则 nearest above the articles; the version is
the latest date of the promulgation note under it ("（2003年11月23日国务院令第392号公布 根据2017年
3月1日《…》第四次修订）"); the status is current unless the library already holds a newer version.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import docx
import yaml
from bs4 import BeautifulSoup
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table

from checks.files import write_atomic
from checks.regulations import (
    RegulationImportError,
    Library,
    LibraryError,
    RegulationVersion,
    format_date,
    load_library,
    normalize,
    split_articles,
    stated_dates,
    title_key,
)

SUFFIXES = (".txt", ".html", ".htm", ".docx")
LIST_COLUMNS = ("法规名称", "版本", "状态", "废止日期", "替代法规", "全文", "已核验", "来源", "文件")
_STATUS_NAMES = {"current": "现行有效", "superseded": "已被修订", "repealed": "已废止"}

_FIRST_ARTICLE = re.compile(r"(?<!\w)第一条")
_ARTICLE_LINE = re.compile(r"第[零〇一二两三四五六七八九十百千]+条")
_ENDS_SENTENCE = re.compile(r"[。；;：:！!？?”\"]$")
_TITLE_ENDING = re.compile(r"(?:条例|法|规定|办法|细则|规则)$")
_NOT_A_TITLE = re.compile(r"^第[零〇一二两三四五六七八九十百千\d]+[编章节条]|[。;:,]")
# The decree that promulgated the text: 中华人民共和国国务院令第392号, 海关总署令第240号, 卫生部令第2号.
_DECREE = re.compile(
    r"(?:(?![年月日])[\u4e00-\u9fa5]){1,12}令第[\d零〇一二三四五六七八九十百千]+号"
)



def import_documents(paths: list[Path | str], library_dir: Path | str) -> list[Path]:
    """Write one library file per document into `library_dir`; return the files written.

    The version is current unless the library holds a newer one; importing the newest version
    marks the older current one superseded. A metadata-only entry of the same version is
    replaced by the full text and keeps its status. An existing file of the same name is left
    alone when identical and is an error when it differs.
    """
    library_dir = Path(library_dir)
    library_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in map(Path, paths):
        title, version, source, text = _parse_document(path)
        try:
            library = load_library(library_dir)
        except LibraryError as exc:
            raise RegulationImportError(path, f"the library is invalid: {exc}") from None
        known = library.titles.get(title_key(title))
        versions = known.versions if known else []
        target = library_dir / f"{_file_stem(title)}-{version.isoformat()}.md"
        same = next((v for v in versions if v.version == version), None)
        front = _status_fields(version, versions, same)
        content = _library_file(title, version, front, source, text)
        if same is not None and not same.has_text:
            write_atomic(target, content)
            if same.path != target:
                same.path.unlink()
        elif target.exists():
            if target.read_text(encoding="utf-8") != content:
                raise RegulationImportError(
                    path, f"{target} already exists with a different content; remove it first"
                )
        elif same is not None:
            raise RegulationImportError(
                path, f"the library already has the {version} text in {same.path}"
            )
        else:
            if front["status"] == "current":
                _supersede_older(path, [v for v in versions if v.version < version])
            write_atomic(target, content)
        written.append(target)
    return written


def _status_fields(
    version: dt.date, versions: list[RegulationVersion], same: RegulationVersion | None
) -> dict:
    """The status of an imported version among the library's versions of its regulation."""
    if same is not None and not same.has_text:  # the text of a metadata-only entry
        if same.status == "repealed":
            return {"status": "repealed", "repealed_on": same.repealed_on,
                    "replaced_by": same.replaced_by or None}
        return {"status": same.status}
    if any(v.version > version for v in versions):
        return {"status": "superseded"}
    return {"status": "current"}


def list_library(library: Library) -> list[tuple[str, ...]]:
    """One row per library file, in the order of LIST_COLUMNS: regulations by title, oldest
    version first."""
    return [
        (
            version.title,
            version.version.isoformat(),
            _STATUS_NAMES[version.status],
            version.repealed_on.isoformat() if version.repealed_on else "",
            version.replaced_by,
            "有" if version.has_text else "仅元数据",
            "否" if version.unverified else "是",
            version.source,
            str(version.path),
        )
        for regulation in sorted(library, key=lambda r: r.title)
        for version in regulation.versions
    ]


def _parse_document(path: Path) -> tuple[str, dt.date, str, str]:
    """(title, version date, source, text from the title on) of one downloaded document."""
    lines = [line.strip() for line in _read_lines(path)]
    lines = [line for line in lines if line]
    first_article = next(
        (i for i, line in enumerate(lines) if _FIRST_ARTICLE.search(normalize(line))), len(lines)
    )
    # The title is the nearest title line above the articles: above it a web page may carry
    # site navigation that names laws too (行政执法, 海关法).
    title_at = next((i for i in reversed(range(first_article)) if _is_title(lines[i])), None)
    if title_at is None:
        raise RegulationImportError(
            path, "no title line found (a line naming a 条例, 法, 规定, 办法 or 细则)"
        )
    title = title_key(lines[title_at])
    end = len(lines)
    # A web page goes on after the last article (版权所有, 打印本页): lines that end no sentence
    # and start no article are not the regulation's.
    while end > first_article + 1 and not _ENDS_SENTENCE.search(lines[end - 1]) and not (
        _ARTICLE_LINE.match(normalize(lines[end - 1]))
    ):
        end -= 1
    text = "\n".join(lines[title_at:end])
    preamble, articles = split_articles(text)
    if not articles:
        raise RegulationImportError(path, "no articles (第一条 …) found after the title")
    stated = [d for d in stated_dates(preamble) if d.day_known]
    if not stated:
        raise RegulationImportError(
            path, "no promulgation or revision date found (expected e.g. （2017年3月1日修订）)"
        )
    version = max(stated).date
    decree = _DECREE.search(normalize(preamble))
    source = f"国家法律法规数据库下载文本 {path.name}"
    if decree:
        source += f"；{decree[0]}"
    source += f"；最后修订/公布日期{format_date(version)}"
    return title, version, source, text


def _is_title(line: str) -> bool:
    key = title_key(line)
    return 4 <= len(key) <= 60 and bool(_TITLE_ENDING.search(key)) and not _NOT_A_TITLE.search(
        normalize(key)
    )


def _read_lines(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise RegulationImportError(path, f"unsupported file type (one of {', '.join(SUFFIXES)})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegulationImportError(path, f"cannot read: {exc.strerror}") from None
    if suffix == ".txt":
        return _decode(path, data).splitlines()
    if suffix in (".html", ".htm"):
        return _html_lines(data)
    return _docx_lines(path)


def _decode(path: Path, data: bytes) -> str:
    # Downloads are UTF-8 (perhaps with a BOM) or, from older Windows tools, GB18030.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RegulationImportError(path, "the text is neither UTF-8 nor GB18030")


def _html_lines(data: bytes) -> list[str]:
    soup = BeautifulSoup(data, "lxml")  # reads the page's declared charset
    for tag in soup(["script", "style", "head", "noscript", "template"]):
        tag.decompose()
    return soup.get_text("\n").splitlines()


def _docx_lines(path: Path) -> list[str]:
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise RegulationImportError(path, f"not a readable .docx file ({exc})") from None
    lines = []
    # Paragraphs and tables in document order: some downloads lay articles out in a table.
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines += [" ".join(cell.text for cell in row.cells) for row in block.rows]
        else:
            lines.append(block.text)
    return lines


def _file_stem(title: str) -> str:
    """The title itself, minus what a file name cannot hold."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", title)


def _library_file(title: str, version: dt.date, front: dict, source: str, text: str) -> str:
    fields = {"title": title, "version": version, **front, "source": source}
    meta = yaml.safe_dump(
        {key: value for key, value in fields.items() if value is not None},
        allow_unicode=True,
        sort_keys=False,
        width=1000,
    )
    return f"---\n{meta}---\n{text}\n"


def _supersede_older(path: Path, older: list[RegulationVersion]) -> None:
    """The imported text is the newest: the library's older current version is no longer."""
    for version in older:
        if version.status == "repealed":
            raise RegulationImportError(
                path,
                f"the library says this regulation was repealed ({version.path}); "
                "correct that file first",
            )
        if version.status == "current":
            content = version.path.read_text(encoding="utf-8-sig")
            updated = re.sub(r"(?m)^status:\s*current\s*$", "status: superseded", content, count=1)
            write_atomic(version.path, updated)
