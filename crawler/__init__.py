"""customs-audit crawler: the Scrapy project, its command line, and the crawl-side helpers."""
