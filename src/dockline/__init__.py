"""dockline: from Dockerfile to production on Docker Swarm behind nginx."""

__version__ = "0.1.0"
