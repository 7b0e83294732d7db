"""Loopback webs of the test suite: servers of nasty answers and tiny sites. Never part of the product."""
