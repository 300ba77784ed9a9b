"""Product versions of SEP/SES as written in the vendor's article: ``14.3``, ``14.3 MP1``, ``14.3 RU1 MP1``, ...

They form one total order: base version, then Release Update (RU), then Maintenance Patch (MP) within that RU.
So ``14.3 < 14.3 MP1 < 14.3 RU1 < 14.3 RU1 MP1 < 14.3 RU2``: an RU comes after every MP of the same base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

# Matched whole, ASCII digits and separators only (``\\d`` and ``\\s`` would take other scripts' digits and
# line breaks; the canonical spelling is printed anyway, but input with a line break is refused everywhere).
_VERSION = re.compile(
    r" *(?P<major>[0-9]{1,3})(?:\.(?P<minor>[0-9]{1,3}))?"
    r"(?:[ _-]*RU[ _-]*(?P<ru>[0-9]{1,3}))?"
    r"(?:[ _-]*MP[ _-]*(?P<mp>[0-9]{1,3}))? *",
    re.IGNORECASE,
)

EXAMPLES = '"14.3", "14.3 MP1", "14.3 RU1", "14.3 RU1 MP1", "14.3 RU2"'


class VersionError(ValueError):
    """A string is not a product version."""


@total_ordering
@dataclass(frozen=True, slots=True)
class ProductVersion:
    """One SEP/SES release, comparable with ``<``; ``str()`` gives the canonical spelling."""

    major: int
    minor: int = 0
    ru: int = 0
    mp: int = 0

    @classmethod
    def parse(cls, text: object) -> ProductVersion:
        """Parse ``"14.3 RU1 MP1"`` and its common spellings (any case, ``-``/``_`` separators, ``14`` for 14.0).

        Raises ``VersionError`` naming the accepted forms for anything else (a build number, ``MP0``, ``15.x``).
        """
        if isinstance(text, ProductVersion):
            return text
        if isinstance(text, float):
            raise VersionError(
                f"write the version in quotes: {text!r} is a number, which loses digits (14.10 would read as 14.1)"
            )
        if isinstance(text, int) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str):
            raise VersionError(f"a product version is text such as {EXAMPLES}, not {type(text).__name__}")
        match = _VERSION.fullmatch(text)
        if not match:
            raise VersionError(f"{text!r} is not a product version; write it as one of {EXAMPLES}")
        ru = int(match["ru"] or 0)
        mp = int(match["mp"] or 0)
        if (match["ru"] is not None and ru == 0) or (match["mp"] is not None and mp == 0):
            raise VersionError(f"{text!r} is not a product version: RU and MP numbers start at 1")
        return cls(int(match["major"]), int(match["minor"] or 0), ru, mp)

    def _key(self) -> tuple[int, int, int, int]:
        return (self.major, self.minor, self.ru, self.mp)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ProductVersion):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}"
        if self.ru:
            text += f" RU{self.ru}"
        if self.mp:
            text += f" MP{self.mp}"
        return text
