"""Command line: parse arguments, call one use case (run, report, notice...), print. No crawl logic.

May import every package below it: run, outcome, report, probe, demo, sites, checks.
"""
