"""Pure compilers from an ``EgressPlan`` to cloud and proxy configurations.

Nothing here imports pulumi or a cloud SDK: each compiler is a function from plain data to plain data (specs,
rule text), testable alone and fast enough for the CLI.
"""
