"""``python -m components`` is the ``sep-egress`` command."""

from .cli import main

raise SystemExit(main())
