"""The test suite: folders mirror the packages; webs/ holds the loopback servers the tests run."""
