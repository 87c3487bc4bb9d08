"""Errors shared by the web layer and the database layer (no driver import here)."""


class DatabaseUnavailable(RuntimeError):
    """The database did not answer (or refused us)."""
