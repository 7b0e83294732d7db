"""wrong_link: every finding explains itself, and the must-not-flag cases stay quiet."""
import pytest

from checks.facts import FetchResult
from checks.rules import load_rules
from checks.wrong_link import bigram_similarity, wrong_link_detail

RULES = load_rules()
HOST = "nanjing.customs.gov.cn"
OTHERS = {"shanghai.customs.gov.cn": "上海海关", "www.customs.gov.cn": "海关总署", "hangzhou.customs.gov.cn": "杭州海关"}


def target(url, title, text="", content_type="text/html; charset=utf-8", status=200):
    return FetchResult(url=url, status=status, final_url=url, title=title, text=text, content_type=content_type)


def detail(text, result):
    return wrong_link_detail(text, HOST, result, OTHERS, "南京海关", RULES)


def test_bigram_similarity():
    assert bigram_similarity("政府信息公开指南", "政府信息公开指南") == 1.0
    assert bigram_similarity("政府信息公开指南", "百家乐娱乐城") == 0.0
    assert bigram_similarity("规范性文件", "規範性文件".replace("規範", "规范")) == 1.0
    # width, spaces and punctuation do not matter
    assert bigram_similarity("ＡＢＣ 公告", "abc公告") == 1.0
    assert 0.5 < bigram_similarity("关于进一步优化营商环境的公告", "关于进一步优化口岸营商环境促进跨境贸易便利化的公告") < 1
    assert bigram_similarity("", "公告") == 0.0


def test_own_content_landing_on_another_unit():
    why = detail("南京海关政府信息公开指南", target("http://shanghai.customs.gov.cn/zn.html", "上海海关政府信息公开指南"))
    assert "南京海关" in why and "上海海关" in why and "shanghai.customs.gov.cn" in why


def test_own_unit_word_landing_on_a_page_of_another_unit():
    why = detail("本关政府信息公开年报", target("http://hangzhou.customs.gov.cn/nb.html", "杭州海关政府信息公开年报"))
    assert "南京海关" in why and "杭州海关" in why


def test_redirect_that_ends_on_another_unit():
    result = target("http://nanjing.customs.gov.cn/old/zn.html", "上海海关政府信息公开指南")
    result.final_url = "http://shanghai.customs.gov.cn/zn.html"
    assert "shanghai.customs.gov.cn" in detail("南京海关政府信息公开指南", result)


# Landing on another unit's site or the headquarters' is no fault by itself: units link to the
# headquarters' pages and to each other's, the headquarters' site carries the units' trees and a
# unit's host serves the headquarters' tree (/customs/302249/...). Only what the link and the
# page say can disagree.
@pytest.mark.parametrize("text, url, title", [
    ("政府信息公开年报", "http://hangzhou.customs.gov.cn/nb.html", "杭州海关政府信息公开年报"),
    ("政府信息公开指南", "http://www.customs.gov.cn/customs/302249/zfxxgk/2799825/index.html", "海关总署政府信息公开指南"),
    ("南京海关政府信息公开指南", "http://www.customs.gov.cn/nanjing_customs/zfxxgk/zn.html", "南京海关政府信息公开指南"),
    ("南京海关政府信息公开指南", "http://shanghai.customs.gov.cn/zn.html", "政府信息公开指南"),
    ("南京海关政府信息公开指南", "http://nanjing.customs.gov.cn/customs/302249/zfxxgk/zn.html", "海关总署政府信息公开指南"),
    ("南京海关政府信息公开指南", "http://NANJING.customs.gov.cn:80/customs/302249/zn.html", "海关总署政府信息公开指南"),
])
def test_another_site_alone_is_no_wrong_link(text, url, title):
    assert detail(text, target(url, title)) is None


@pytest.mark.parametrize("text", ["上海海关", "上海海关政府信息公开指南", "长三角海关通关一体化改革"])
def test_links_that_say_where_they_go_are_fine(text):
    assert detail(text, target("http://shanghai.customs.gov.cn/", "上海海关", "上海海关 首页")) is None


def test_unrelated_title():
    why = detail("关于进一步优化营商环境的公告",
                 target("http://nanjing.customs.gov.cn/a.html", "2023年进出口食品安全抽检结果通报_南京海关"))
    assert "2023年进出口食品安全抽检结果通报" in why and "相似度" in why


def test_close_paraphrase_is_not_flagged():
    result = target("http://nanjing.customs.gov.cn/a.html", "关于进一步优化口岸营商环境促进跨境贸易便利化的公告_南京海关")
    assert detail("关于进一步优化营商环境的公告", result) is None


def test_site_name_title_with_the_content_in_the_page_is_not_flagged():
    result = target("http://nanjing.customs.gov.cn/a/1.html", "南京海关",
                    "首页 信息公开 南京海关2022年政府信息公开工作年度报告 一、总体情况……")
    assert detail("南京海关2022年政府信息公开工作年度报告", result) is None


def test_site_name_title_on_an_article_page_is_not_judged():
    # the page text may be cut before the article: nothing is concluded
    result = target("http://nanjing.customs.gov.cn/a/1.html", "南京海关", "首页 海关概况 信息公开")
    assert detail("南京海关2022年政府信息公开工作年度报告", result) is None


def test_article_link_redirected_to_the_home_page():
    result = target("http://nanjing.customs.gov.cn/nb/2022.html", "南京海关-首页", "首页 海关概况 信息公开 通关服务 互动交流")
    result.final_url = "http://nanjing.customs.gov.cn/index.html"
    why = detail("南京海关2022年政府信息公开工作年度报告", result)
    assert "首页" in why


def test_link_to_a_home_page_is_not_judged_by_its_title():
    result = target("http://nanjing.customs.gov.cn/", "南京海关-首页", "首页 海关概况 信息公开 通关服务 互动交流")
    assert detail("南京海关2022年政府信息公开工作年度报告", result) is None


def test_main_heading_counts_as_much_as_the_title():
    result = target("http://nanjing.customs.gov.cn/a.html", "南京海关")
    result.heading = "关于进一步优化口岸营商环境的公告"
    assert detail("关于进一步优化营商环境的公告", result) is None
    result.heading = "2023年进出口食品安全抽检结果通报"
    assert "2023年进出口食品安全抽检结果通报" in detail("关于进一步优化营商环境的公告", result)


def test_short_link_texts_are_not_compared():
    assert detail("我要写信", target("http://nanjing.customs.gov.cn/a.html", "领导信箱")) is None
    assert detail("更多>>", target("http://nanjing.customs.gov.cn/a.html", "通知公告")) is None


def test_parked_domain():
    why = detail("中国口岸协会", target("http://port.example.com/", "port.example.com", "This domain is for sale! 域名出售"))
    assert "port.example.com" in why and ("域名出售" in why or "domain is for sale" in why)


def test_gambling_page():
    why = detail("进出口商品检验鉴定机构名录", target("http://jyjd.example.cn/", "澳门新葡京娱乐城-百家乐"))
    assert "博彩" in why and "jyjd.example.cn" in why


def test_government_news_on_gambling_cases_is_not_a_gambling_page():
    result = target("http://nanjing.customs.gov.cn/a.html", "南京海关查获百家乐赌具案", "查获赌场所用百家乐筹码")
    assert detail("南京海关查获百家乐赌具案", result) is None


@pytest.mark.parametrize("result", [
    target("http://x.example.cn/a.pdf", "", "", content_type="application/pdf"),
    target("http://x.example.cn/a.html", "完全无关的页面标题内容", status=404),
])
def test_only_200_html_targets_are_judged(result):
    assert detail("关于进一步优化营商环境的公告", result) is None


def test_gbk_decoded_title():
    title = "2023年进出口食品安全抽检结果通报".encode("gbk").decode("gbk")
    assert detail("关于进一步优化营商环境的公告", target("http://nanjing.customs.gov.cn/a.html", title))


def test_hosts_with_ports_and_www():
    others = {"127.0.0.1:8002": "上海海关"}
    result = target("http://127.0.0.1:8002/zn.html", "上海海关政府信息公开指南")
    why = wrong_link_detail("南京海关政府信息公开指南", "127.0.0.1:8001", result, others, "南京海关", RULES)
    assert "127.0.0.1:8002" in why
    same_site = target("http://www.nanjing.customs.gov.cn:80/zn.html", "南京海关政府信息公开指南")
    assert wrong_link_detail("南京海关政府信息公开指南", HOST, same_site, {HOST: "南京海关"}, "南京海关", RULES) is None
