"""The ``sep-egress`` subcommands. Each module defines ``NAME``, ``HELP``, ``configure(parser)`` and
``run(args) -> int``; ``components.cli`` lists them. None of them imports pulumi unless it runs the program."""
