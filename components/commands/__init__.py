"""The ``sep-egress`` subcommands, one module each with ``configure(parser)`` and ``run(args) -> int``.

``components.cli`` lists them with their help text and imports only the one being run.
"""
