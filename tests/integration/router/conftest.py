"""Router integration fixtures (defined in routerkit.py)."""

from routerkit import apps, images, router  # noqa: F401
