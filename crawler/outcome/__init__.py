"""What a run found and the memory of runs: the result types, the assessment of the crawl's facts,
and the history of findings across runs.

May import crawl (the run store, page facts), sites and checks; never run, report or cli.
"""
