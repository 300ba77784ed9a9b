"""The ``sep-egress`` subcommands, one module each with ``configure(parser)`` and ``run(args) -> int``.

``sep_egress.cli`` lists them with their help text and imports only the one being run.
"""
