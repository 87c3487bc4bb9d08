"""The eventpage nearby-seismicity web service (dockline example)."""
