"""Lint rules, one module per family; each rule registers itself with ``@rule``.

Modules whose name starts with ``_`` hold helpers and register nothing.
"""
