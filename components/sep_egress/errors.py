"""Errors a user can cause, each rendered as one clear message (file, entry or key, problem) without a traceback."""

from __future__ import annotations

from collections.abc import Sequence

from .escape import plain_text


def _one_line(text: str) -> str:
    """A file name, entry or key from the user's input, as one line (a newline in a file name must not start a
    line of its own in the message: it could forge another message, or a CI workflow command)."""
    return plain_text(text)


class SepEgressError(Exception):
    """Base of every error caused by user input: the CLI prints ``str(error)`` and exits with ``exit_code``."""

    exit_code = 2


class CatalogError(SepEgressError):
    """The catalog or an overlay file is invalid.

    ``problems`` lists each problem as ``(where, message)``, where ``where`` names the entry and field.
    """

    def __init__(self, source: str, problems: Sequence[tuple[str, str]]) -> None:
        self.source = source
        self.problems = list(problems)
        shown = _one_line(source)
        lines = [
            f"{shown}: {_one_line(where)}: {message}" if where else f"{shown}: {message}" for where, message in problems
        ]
        super().__init__("\n".join(lines))


class SelectionError(SepEgressError):
    """The selection (roles, mode, version, storage phase, overlays) cannot produce a plan.

    ``field`` names the selection input at fault (``mode``, ``roles``, ``version``, ``storage``, ``overlays``), so
    a stack's error can name its config key.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class ConfigError(SepEgressError):
    """A stack configuration is invalid; ``problems`` lists ``(config key, message)``."""

    def __init__(self, source: str, problems: Sequence[tuple[str, str]]) -> None:
        self.source = source
        self.problems = list(problems)
        shown = _one_line(source)
        # A problem of the whole file (one read_yaml reports with no key) names no key, as in CatalogError.
        lines = [f"{shown}: {_one_line(key)}: {message}" if key else f"{shown}: {message}" for key, message in problems]
        super().__init__("\n".join(lines))
