"""DNS and IPv6 probing outside Scrapy (docs/checks.md, IPv6): asks the network, hands the answers to checks.

May import checks (for the answer types and the judging); never crawl, run, outcome or report.
"""
