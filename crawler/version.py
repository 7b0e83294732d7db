"""The product version, shown in the User-Agent and run.json."""
__version__ = "0.1.0"
