"""customs-audit crawler: the Scrapy project, its command line, and the crawl-side helpers."""
import os

# Scrapy's cookie handling asks tldextract for the public suffix list, which it would download
# from publicsuffix.org on first use: the crawler must reach nothing but the sites it audits. An
# empty list of URLs makes tldextract use the snapshot it ships (read when Scrapy's cookies
# module builds its extractor, so before anything imports it).
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
