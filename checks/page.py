"""One parse of an HTML page, shared by every reader of it: links, sections, lists, metadata.

A crawled page is parsed once (lxml) and handed around as a `ParsedPage`; the readers accept
its text too, and parse it then. The parser is the forgiving one browsers resemble most: it
recovers from broken markup, reads long one-line pages and deep nesting (`huge_tree`), never
fetches anything, and never raises.
"""
from __future__ import annotations

import copy
import re
import threading
from functools import cached_property

import lxml.html
from lxml import etree

# lxml refuses a str that still declares its byte encoding; an XML tree cannot hold these
# characters (libxml2 would turn them into U+FFFD, or give up)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.I)
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NOT_CONTENT = ("script", "style", "noscript", "template", "textarea", "select")
_EMPTY = b"<html><body></body></html>"


class ParsedPage:
    """An HTML page as text and as a tree. `root` is the document as parsed (scripts included:
    links are read from it); `content` is a copy without scripts, styles, form widgets and
    comments, for the readers of what the page says. `truncated`: libxml2 stopped at its nesting
    limit, so the tree misses the rest of the page (the text is still whole)."""

    def __init__(self, html: str) -> None:
        self.html = html or ""
        data = XML_UNSAFE.sub("", _XML_DECLARATION.sub("", self.html)).encode("utf-8", "replace")  # lone surrogates
        parser = _parser()
        try:
            self.root = lxml.html.document_fromstring(data, parser=parser)
        except (etree.LxmlError, ValueError):  # nothing but white space
            self.root = lxml.html.document_fromstring(_EMPTY)
        self.truncated = any(e.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for e in parser.error_log)

    @cached_property
    def content(self) -> lxml.html.HtmlElement:
        tree = copy.deepcopy(self.root)
        drop_non_content(tree)
        return tree


_parsers = threading.local()


def _parser() -> lxml.html.HTMLParser:
    """This thread's parser, made once: a fresh one adds a third to the parse of a small page
    (one parser parses one page at a time; its error log is the last page's)."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = lxml.html.HTMLParser(
            encoding="utf-8",  # the page is decoded already: a <meta charset> must not re-decode it
            recover=True,
            huge_tree=True,
            remove_comments=True,
            no_network=True,
            collect_ids=False,  # no reader looks an element up by its id: no table of them to build
        )
    return parser


def as_parsed(page: str | ParsedPage) -> ParsedPage:
    return page if isinstance(page, ParsedPage) else ParsedPage(page)


def parse_html(html: str) -> lxml.html.HtmlElement:
    """A parsed document; never raises on empty or odd markup."""
    return ParsedPage(html).root


def drop_non_content(root: lxml.html.HtmlElement) -> None:
    """Remove scripts, styles, form widgets and comments, keeping the text that follows them."""
    for element in list(root.iter(etree.Comment, *_NOT_CONTENT)):
        if element.getparent() is not None:
            element.drop_tree()
