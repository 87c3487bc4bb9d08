"""Test support shared by the unit tests: the in-memory swarm (``fakeswarm``)."""
