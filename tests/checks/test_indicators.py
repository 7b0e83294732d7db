"""The national website-inspection indicators (2019) of rules.yaml, applied to plain findings."""
import pytest

from checks.findings import Finding
from checks.indicators import assess_indicators, counted
from checks.rules import RulesError, load_rules

HOME = "http://nanjing.customs.test/"
INDICATORS = load_rules().indicators


def link(page: str, target: str, check: str = "broken_link") -> Finding:
    return Finding("nanjing", check, page, "HTTP 404", target_url=target, http_status=404)


def section(check: str, name: str) -> Finding:
    return Finding("nanjing", check, f"http://nanjing.customs.test/{name}/", f"{name}：最新条目 2025-01-01")


def test_defaults_are_the_2019_thresholds():
    vetoes = {i.name: i for i in INDICATORS.single_veto}
    assert vetoes["站点无法访问"].share_of_runs == 0.05 and vetoes["站点无法访问"].page == "home"
    assert vetoes["栏目不更新"].at_least == 5 and vetoes["栏目不更新"].checks == ("stale_section",)
    assert vetoes["空白栏目"].at_least == 5 and vetoes["空白栏目"].checks == ("empty_section",)
    deductions = {i.name: i for i in INDICATORS.deductions}
    assert (deductions["首页链接不可用"].page, deductions["首页链接不可用"].points) == ("home", 1.0)
    assert (deductions["其他页面链接不可用"].page, deductions["其他页面链接不可用"].points) == ("other", 0.1)
    assert INDICATORS.pass_score == 60


def test_links_on_the_home_page_and_elsewhere_are_counted_apart_once_per_target():
    findings = [
        link("http://nanjing.customs.test", "http://x.test/a"),  # the home, written without its slash
        link("HTTP://Nanjing.Customs.Test:80/", "http://x.test/b", "soft_404"),
        link(HOME + "zfxxgk/", "http://x.test/a"),
        link(HOME + "zfxxgk/list.html", "http://x.test/a"),  # the same dead target again: one link
        link(HOME + "zfxxgk/list.html", "http://x.test/c", "wrong_link"),
        Finding("nanjing", "missing_metadata", HOME + "zfxxgk/1.html", "缺少 文号"),  # not a link
    ]
    verdict = assess_indicators(INDICATORS, findings, [findings], {HOME})
    assert [(d.name, d.count, d.points) for d in verdict.deductions] == [
        ("首页链接不可用", 2, 2.0), ("其他页面链接不可用", 2, 0.2)]
    assert verdict.score == 97.8 and verdict.qualified and not verdict.vetoes


def test_five_stale_or_five_empty_sections_veto_four_do_not():
    four = [section("stale_section", f"s{i}") for i in range(4)]
    assert not assess_indicators(INDICATORS, four, [four], {HOME}).vetoes
    five = four + [section("stale_section", "s4")]
    verdict = assess_indicators(INDICATORS, five, [five], {HOME})
    assert [(v.name, v.count) for v in verdict.vetoes] == [("栏目不更新", 5)]
    assert verdict.score is None and not verdict.qualified
    empty = [section("empty_section", f"e{i}") for i in range(5)]
    assert [v.name for v in assess_indicators(INDICATORS, empty, [empty], {HOME}).vetoes] == ["空白栏目"]


def test_unreachable_home_vetoes_by_its_share_of_the_runs():
    down = [Finding("nanjing", "site_unreachable", HOME, "首页无法访问：DNS 解析失败")]
    runs = [down] + [[] for _ in range(19)]  # 1 of 20 runs: 5 %
    verdict = assess_indicators(INDICATORS, [], runs, {HOME})
    assert [(v.name, v.count, v.of_runs) for v in verdict.vetoes] == [("站点无法访问", 1, 20)]
    assert not assess_indicators(INDICATORS, [], [down] + [[] for _ in range(20)], {HOME}).vetoes  # 1 of 21


def test_score_under_the_pass_mark_is_not_qualified_and_max_points_caps():
    findings = [link(HOME, f"http://x.test/{i}") for i in range(41)]
    verdict = assess_indicators(INDICATORS, findings, [findings], {HOME})
    assert verdict.score == 59.0 and not verdict.qualified
    capped = load_rules({"indicators": {"deductions": [{"name": "首页链接不可用", "max_points": 10}]}}).indicators
    assert assess_indicators(capped, findings, [findings], {HOME}).score == 90.0


def test_override_merges_by_name():
    rules = load_rules({"indicators": {"single_veto": [{"name": "栏目不更新", "at_least": 3}],
                                       "deductions": [{"name": "栏目缺失", "checks": ["missing_section"], "points": 5}]}})
    assert {i.name: i.at_least for i in rules.indicators.single_veto}["栏目不更新"] == 3
    assert [i.name for i in rules.indicators.deductions] == ["首页链接不可用", "其他页面链接不可用", "栏目缺失"]
    assert counted(rules.indicators.deductions[2], [Finding("nanjing", "missing_section", HOME, "规范性文件")], {HOME}) == 1


@pytest.mark.parametrize("override, message", [
    ({"single_veto": [{"name": "x", "checks": ["no_such_check"], "at_least": 1}]}, "unknown check code 'no_such_check'"),
    ({"single_veto": [{"name": "x", "checks": ["empty_section"]}]}, "needs exactly one of at_least, share_of_runs"),
    ({"single_veto": [{"name": "空白栏目", "share_of_runs": 2}]}, "needs exactly one of"),
    ({"deductions": [{"name": "首页链接不可用", "page": "start"}]}, "must be one of home, other, any"),
    ({"deductions": [{"name": "新", "checks": ["broken_link"]}]}, "missing key 'points'"),
    ({"pass_score": -1}, "must be a number of at least 0"),
])
def test_bad_indicator_override_is_one_line(override, message):
    with pytest.raises(RulesError, match=message) as error:
        load_rules({"indicators": override})
    assert "\n" not in str(error.value)
