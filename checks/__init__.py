"""The compliance rules: plain functions from facts the crawl gathered to findings.

Nothing in this package imports Scrapy, so every rule is tested on plain data.
"""
