"""Fixtures of the image-runtime integration tests (defined in imagekit.py)."""

from imagekit import containers, images  # noqa: F401 - fixtures, registered by import
