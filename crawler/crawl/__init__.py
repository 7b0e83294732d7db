"""The Scrapy crawl: its options and settings, spider, middlewares, extensions, links of a page, the
run store, the page cache, the resolver and --render. Gathers facts; judges nothing beyond what a fetch answered.

May import probe, sites and checks (for the fact types); never run, outcome or report.
"""
