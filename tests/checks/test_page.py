"""One parse of a page: each thread reuses its parser, and what one page did to it never shows on the next."""
import threading

from checks.page import ParsedPage, _parser


def test_a_page_past_the_nesting_limit_is_truncated_and_the_next_page_is_not():
    deep = ParsedPage("<div>" * 3000 + "深处")
    shallow = ParsedPage("<p>政府信息公开</p>")
    assert deep.truncated and not shallow.truncated
    assert shallow.root.text_content() == "政府信息公开"


def test_each_thread_parses_with_its_own_parser():
    assert _parser() is _parser()
    seen = {}

    def parse_in_a_thread():
        seen["parser"] = _parser()
        seen["text"] = ParsedPage("<p>通知公告</p>").root.text_content()

    thread = threading.Thread(target=parse_in_a_thread)
    thread.start()
    thread.join()
    assert seen["parser"] is not _parser() and seen["text"] == "通知公告"
