"""The eventpage example's code lives in examples/eventpage (it is copied into images,
not installed with dockline): put its folders on sys.path for these tests."""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "eventpage"
for sub in ("page", "service", "db"):
    path = str(EXAMPLE / sub)
    if path not in sys.path:
        sys.path.insert(0, path)
