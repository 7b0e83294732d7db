"""One audit end to end: the run's options, its units, the crawl in one process or in workers, the
assessment, the history and the run folder, and retention of old runs.

May import crawl, probe, outcome, report, sites and checks; never cli.
"""
