"""``python -m sep_egress`` is the ``sep-egress`` command."""

from .cli import main

raise SystemExit(main())
