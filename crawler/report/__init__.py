"""The run folder, written from outcome data only: one row model, and csv, html and xlsx writers over it.

May import outcome and checks only.
"""
