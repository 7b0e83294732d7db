from datetime import date
from pathlib import Path

import pytest

from crawler.sites import ConfigError, SitesConfig, Unit, load_sites, unit_from_url

SHIPPED = Path(__file__).resolve().parent.parent / "sites.yaml"

GOOD = """\
defaults:
  scope: disclosure
  max_depth: 4
  max_pages: 3000
units:
  - id: nanjing
    name: 南京海关
    url: http://nanjing.customs.gov.cn/
  - id: gacc
    name: 海关总署
    url: http://www.customs.gov.cn/
    disclosure_url: http://www.customs.gov.cn/customs/302249/zfxxgk/2799825/index.html
    scope: site
    max_pages: 50
rules:
  news_stale_days: 30
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_shipped_sites_yaml_has_the_43_units():
    config = load_sites(SHIPPED)
    ids = [unit.id for unit in config.units]
    assert len(ids) == 43
    assert len(set(ids)) == 43
    assert ids[0] == "gacc"
    assert {"nanjing", "huhehaote", "lasa", "urumqi", "yinchuan"} <= set(ids)
    for unit in config.units:
        assert unit.url.startswith("http://") and unit.url.endswith(".customs.gov.cn/")
        assert unit.name.endswith("海关") or unit.name == "海关总署"
        assert (unit.scope, unit.max_depth, unit.max_pages) == ("disclosure", 4, 3000)
    with_column = [unit.id for unit in config.units if unit.disclosure_url]
    assert with_column == ["gacc"]


def test_defaults_and_overrides(tmp_path):
    config = load_sites(write(tmp_path, GOOD))
    assert config.units == [
        Unit("nanjing", "南京海关", "http://nanjing.customs.gov.cn/", None, "disclosure", 4, 3000),
        Unit(
            "gacc",
            "海关总署",
            "http://www.customs.gov.cn/",
            "http://www.customs.gov.cn/customs/302249/zfxxgk/2799825/index.html",
            "site",
            4,
            50,
        ),
    ]
    assert config.rules == {"news_stale_days": 30}


def test_defaults_section_is_optional(tmp_path):
    config = load_sites(write(tmp_path, "units:\n  - {id: a, name: A, url: 'https://a.cn/'}\n"))
    assert config.units[0].scope == "disclosure"
    assert config.units[0].max_depth == 4
    assert config.units[0].max_pages == 3000
    assert config.rules == {}


def test_notice_section_and_its_defaults(tmp_path):
    unit = "units:\n  - {id: a, name: A, url: 'https://a.cn/'}\n"
    default = load_sites(write(tmp_path, unit)).notice
    assert (default.office, default.contact, default.reply_working_days) == ("政务公开办公室", "", 15)
    notice = load_sites(write(tmp_path, unit + "notice:\n  office: 海关总署办公厅\n  contact: 张三 010-65194114\n"
                                            "  reply_working_days: 10\n  recipients: 各直属海关、总署各部门\n"
                                            "  holidays: [2026-10-01, '2026-10-02']\n  makeup_workdays: [2026-10-10]\n"
                                            )).notice
    assert (notice.office, notice.contact, notice.reply_working_days, notice.recipients) == (
        "海关总署办公厅", "张三 010-65194114", 10, "各直属海关、总署各部门")
    assert notice.holidays == {date(2026, 10, 1), date(2026, 10, 2)} and notice.makeup_workdays == {date(2026, 10, 10)}


def test_select(tmp_path):
    config = load_sites(write(tmp_path, GOOD))
    assert [u.id for u in config.select(["gacc", "nanjing", "gacc"])] == ["gacc", "nanjing"]
    assert config.select([]) == config.units
    with pytest.raises(ConfigError) as error:
        config.select(["nanjin"])
    assert "unknown unit id 'nanjin' (known: nanjing, gacc)" in str(error.value)


# (file text, line of the error, a word the message must contain)
MALFORMED = {
    "bad yaml": ("units:\n  - id: a\n    name: A\n    url: x: y\n", 4, "YAML syntax"),
    "tab indentation": ("units:\n\t- id: a\n", 2, "YAML syntax"),
    "control character": ("units:\n  - id: a\n    name: \x07\n", 3, "#x0007"),
    "empty": ("", 1, "empty"),
    "comments only": ("# nothing yet\n", 1, "empty"),
    "top level a list": ("- id: a\n", 1, "mapping"),
    "units missing": ("defaults:\n  max_depth: 2\n", 1, "units"),
    "units not a list": ("units:\n  id: a\n", 2, "list"),
    "units empty": ("units: []\n", 1, "empty"),
    "unknown top key": ("unit:\n  - id: a\n", 1, "'unit'"),
    "unknown defaults key": ("defaults:\n  max_page: 3\nunits: []\n", 2, "'max_page'"),
    "unknown unit key": (
        "units:\n  - id: a\n    name: A\n    url: http://a.cn/\n    homepage: x\n",
        5,
        "'homepage'",
    ),
    "duplicate key": ("units:\n  - id: a\n    name: A\n    id: b\n", 4, "duplicate key 'id'"),
    "duplicate id": (
        "units:\n  - {id: a, name: A, url: 'http://a.cn/'}\n"
        "  - {id: b, name: B, url: 'http://b.cn/'}\n"
        "  - {id: a, name: C, url: 'http://c.cn/'}\n",
        4,
        "duplicate unit id 'a' (first at line 2)",
    ),
    "unit without url": ("units:\n  - id: a\n    name: A\n", 2, "'url'"),
    "unit not a mapping": ("units:\n  - nanjing\n", 2, "mapping"),
    "bad id": ("units:\n  - id: Nanjing\n    name: A\n    url: http://a.cn/\n", 2, "'Nanjing'"),
    "id not a string": ("units:\n  - id: 12\n    name: A\n    url: http://a.cn/\n", 2, "string"),
    "empty name": ("units:\n  - id: a\n    name: ''\n    url: http://a.cn/\n", 3, "name"),
    "url without scheme": (
        "units:\n  - id: a\n    name: A\n    url: nanjing.customs.gov.cn\n",
        4,
        "http",
    ),
    "ftp url": ("units:\n  - id: a\n    name: A\n    url: ftp://a.cn/\n", 4, "http"),
    "url without host": ("units:\n  - id: a\n    name: A\n    url: 'http:///x'\n", 4, "host"),
    "bad port": ("units:\n  - id: a\n    name: A\n    url: 'http://a.cn:99999/'\n", 4, "Port"),
    "bad disclosure_url": (
        "units:\n  - id: a\n    name: A\n    url: http://a.cn/\n    disclosure_url: /zfxxgk/\n",
        5,
        "disclosure_url",
    ),
    "max_pages a string": ("defaults:\n  max_pages: '3000'\nunits: []\n", 2, "positive integer"),
    "max_depth zero": (
        "units:\n  - id: a\n    name: A\n    url: http://a.cn/\n    max_depth: 0\n",
        5,
        "positive integer",
    ),
    "max_pages a bool": ("defaults:\n  max_pages: yes\nunits: []\n", 2, "positive integer"),
    "bad scope": ("defaults:\n  scope: all\nunits: []\n", 2, "scope"),
    "unknown notice key": (
        "units:\n  - {id: a, name: A, url: 'http://a.cn/'}\nnotice:\n  office: 办公室\n  deadline: 10\n",
        5,
        "unknown key 'deadline' in notice",
    ),
    "reply days not a number": (
        "units:\n  - {id: a, name: A, url: 'http://a.cn/'}\nnotice:\n  reply_working_days: 两周\n",
        4,
        "reply_working_days must be a positive integer",
    ),
    "holiday not a date": (
        "units:\n  - {id: a, name: A, url: 'http://a.cn/'}\nnotice:\n  holidays: [2026-10-01, 国庆]\n",
        4,
        "holidays: '国庆' is not a date YYYY-MM-DD",
    ),
    "empty office": (
        "units:\n  - {id: a, name: A, url: 'http://a.cn/'}\nnotice:\n  office: ''\n",
        4,
        "office must not be empty",
    ),
    "rules not a mapping": (
        "units:\n  - {id: a, name: A, url: 'http://a.cn/'}\nrules: [1]\n",
        3,
        "rules",
    ),
}


@pytest.mark.parametrize("text, line, word", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_file_names_path_and_line(tmp_path, text, line, word):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_sites(path)
    message = str(error.value)
    assert message.startswith(f"{path}:{line}: ")
    assert word in message
    assert "\n" not in message


def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError) as error:
        load_sites(path)
    assert str(error.value) == f"{path}: file not found"


def test_not_utf8(tmp_path):
    path = tmp_path / "sites.yaml"
    path.write_bytes("units:\n  - id: a\n    name: 南京海关\n".encode("gbk"))
    with pytest.raises(ConfigError) as error:
        load_sites(path)
    assert str(error.value) == f"{path}:3: not UTF-8 text"


def test_config_is_frozen(tmp_path):
    config = load_sites(write(tmp_path, GOOD))
    assert isinstance(config, SitesConfig)
    with pytest.raises(AttributeError):
        config.units[0].max_pages = 1


@pytest.mark.parametrize(
    "url, unit_id, name",
    [
        ("http://nanjing.customs.gov.cn/", "nanjing-customs-gov-cn", "nanjing.customs.gov.cn"),
        ("http://127.0.0.1:8080/index.html", "127-0-0-1-8080", "127.0.0.1:8080"),
        ("https://WWW.Customs.gov.cn", "www-customs-gov-cn", "www.customs.gov.cn"),
        ("http://海关.中国/", "xn-d6qv69d-xn-fiqs8s", "海关.中国"),
    ],
)
def test_unit_from_url(url, unit_id, name):
    unit = unit_from_url(url)
    assert (unit.id, unit.name, unit.url) == (unit_id, name, url)
    assert unit.scope == "site"
    assert unit.disclosure_url is None
    assert unit_from_url(url, scope="disclosure").scope == "disclosure"


@pytest.mark.parametrize("url", ["nanjing.customs.gov.cn", "ftp://a.cn/", "http://", "/x"])
def test_unit_from_url_rejects_non_http_urls(url):
    with pytest.raises(ConfigError) as error:
        unit_from_url(url)
    assert repr(url) in str(error.value)
