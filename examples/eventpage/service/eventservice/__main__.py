"""``python -m eventservice``."""

from eventservice.app import main

raise SystemExit(main())
