"""rules.yaml: the defaults docs/checks.md describes, the sites.yaml override, and one-line errors."""
import textwrap

import pytest

from checks.rules import DEFAULT_PATH, RulesError, load_rules


def test_defaults_hold_the_required_sections_and_thresholds():
    rules = load_rules()
    required = [s.canonical for s in rules.sections if s.required]
    assert required == ["政府信息公开指南", "政府信息公开制度", "法定主动公开内容", "政府信息公开年报", "规范性文件"]
    assert "年度报告" in rules.section("政府信息公开年报").variants
    assert "现行有效规范性文件" in rules.section("规范性文件").variants
    # notices and policy documents: 6 months; guide, system and annual report: no freshness rule
    assert rules.section("法定主动公开内容").stale_after_days == 183
    assert rules.section("规范性文件").stale_after_days == 183
    assert rules.section("政府信息公开指南").stale_after_days is None
    assert rules.section("政府信息公开年报").stale_after_days is None
    assert rules.section("政府信息公开指南").kind == "article"
    # news_stale_days (14) is the freshness of every news column
    assert rules.section("工作动态").stale_after_days == 14
    assert all(s.stale_after_days == 14 for s in rules.sections if not s.required)
    assert rules.ipv6_link_share_threshold == 0.9
    assert (rules.annual_report.due_month, rules.annual_report.due_day) == (1, 31)


def test_metadata_fields_and_synonyms():
    fields = {f.canonical: f for f in load_rules().metadata_fields}
    assert set(fields) == {"索引号", "文号", "发布机构", "发布日期", "有效性"}
    assert not fields["索引号"].required
    assert all(fields[name].required for name in ("文号", "发布机构", "发布日期", "有效性"))
    assert "发文字号" in fields["文号"].labels
    assert {"发文机关", "发布机关"} <= set(fields["发布机构"].labels)
    assert {"发文日期", "成文日期", "生成日期"} <= set(fields["发布日期"].labels)
    assert "效力" in fields["有效性"].labels
    assert {"信息来源", "文章来源"} <= set(fields["发布机构"].labels)
    assert fields["发布机构"].meta_names == ("ContentSource",)
    assert fields["发布日期"].meta_names == ("PubDate", "createDate")


def test_which_sections_items_carry_which_metadata():
    rules = load_rules()
    assert rules.section("规范性文件").metadata == ("文号", "发布机构", "发布日期", "有效性")
    assert rules.section("法定主动公开内容").metadata == ("发布机构", "发布日期")
    for name in ("政府信息公开年报", "政府信息公开指南", "工作动态"):
        assert rules.section(name).metadata == ()


def test_override_merges_sections_by_name_and_adds_new_ones():
    rules = load_rules({
        "sections": [
            {"name": "规范性文件", "stale_after_days": 90},
            {"name": "政府信息公开制度", "required": False},
            {"name": "依申请公开", "kind": "article", "variants": ["依申请公开指南"]},
        ],
        "news_stale_days": 7,
        "ipv6_link_share_threshold": 0.8,
    })
    regulatory = rules.section("规范性文件")
    assert regulatory.stale_after_days == 90
    assert "现行有效规范性文件" in regulatory.variants  # untouched keys stay
    assert not rules.section("政府信息公开制度").required
    assert rules.section("依申请公开").variants == ("依申请公开指南",)
    assert rules.section("工作动态").stale_after_days == 7
    assert rules.ipv6_link_share_threshold == 0.8


def test_override_replaces_plain_lists():
    rules = load_rules({"wrong_link": {"parked_keywords": ["待售"]}})
    assert rules.wrong_link.parked_keywords == ("待售",)
    assert rules.wrong_link.gambling_keywords  # the other keys of the mapping stay


@pytest.mark.parametrize(
    "override, message",
    [
        ({"sectons": []}, "rules: sectons: unknown key"),
        ({"sections": [{"name": "规范性文件", "stale_after_days": "half a year"}]},
         "rules: sections[规范性文件].stale_after_days: must be a positive whole number"),
        ({"sections": [{"name": "规范性文件", "kind": "table"}]},
         "rules: sections[规范性文件].kind: must be one of article, list"),
        ({"sections": [{"name": "新栏目"}]}, "rules: sections[新栏目]: missing key 'kind'"),
        ({"annual_report": {"due": "02-30"}}, "rules: annual_report.due: must be a month-day"),
        ({"annual_report": {"section": "年报栏目"}}, "rules: annual_report.section: '年报栏目' is not one of the sections"),
        ({"ipv6_link_share_threshold": 1.5}, "rules: ipv6_link_share_threshold: must be a number between 0 and 1"),
        ({"metadata": {"fields": [{"name": "文号", "required": "yes"}]}},
         "rules: metadata.fields[文号].required: must be true or false"),
        ({"wrong_link": {"parked_keywords": "域名出售"}}, "rules: wrong_link.parked_keywords: must be a list"),
        ({"sections": [{"name": "规范性文件", "metadata": ["签发人"]}]},
         "rules: sections[规范性文件].metadata: '签发人' is not one of metadata.fields"),
        ({"metadata": {"fields": [{"name": "文号", "meta": "DocNumber"}]}},
         "rules: metadata.fields[文号].meta: must be a list"),
        (["sections"], "rules: must be a mapping"),
    ],
)
def test_bad_override_is_one_clear_line(override, message):
    with pytest.raises(RulesError) as error:
        load_rules(override)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_bad_file_names_file_and_line(tmp_path):
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("stale_after_days: 183", "stale_after_days: -1", 1)
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "stale_after_days: -1" in row)
    with pytest.raises(RulesError, match=rf"^{path}:{line}: sections\[法定主动公开内容\]\.stale_after_days: "):
        load_rules(path=path)


def test_invalid_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent("""\
        sections:
          - name: 政府信息公开指南
            kind: [article
        """), encoding="utf-8")
    with pytest.raises(RulesError, match=rf"^{path}:\d+: invalid YAML"):
        load_rules(path=path)


def test_missing_file(tmp_path):
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(path=tmp_path / "none.yaml")
