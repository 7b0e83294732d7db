"""A unit's host that also serves the headquarters' tree (/customs/302249/...): those pages are
pages of that host, crawled with it, and a link to them is no wrong link for their title."""
from tests.webs.loopback_site import check_site, serve, spot_results

HOME = ('<html><head><title>南京海关</title></head><body>'
        '<a href="/customs/302249/zfxxgk/2799825/index.html">南京海关政府信息公开指南</a></body></html>').encode()
HQ_TREE = ('<html><head><title>海关总署政府信息公开指南</title></head><body><h1>海关总署政府信息公开指南</h1>'
           '<a href="/customs/302249/zfxxgk/gone.html">附件</a></body></html>').encode()


def test_headquarters_tree_on_a_unit_host_is_that_hosts_pages(tmp_path):
    with serve({"/": HOME, "/customs/302249/zfxxgk/2799825/index.html": HQ_TREE}) as url:
        result = check_site(url, tmp_path)
    assert result.returncode == 0, result.stderr
    _, rows = spot_results(tmp_path)
    page = url + "customs/302249/zfxxgk/2799825/index.html"
    assert [(row["check"], row["page_url"], row["target_url"]) for row in rows
            if row["check"] in ("broken_link", "wrong_link")] == [("broken_link", page, url + "customs/302249/zfxxgk/gone.html")]
