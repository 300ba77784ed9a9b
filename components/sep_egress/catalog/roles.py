"""The roles a SEP/SES deployment's machines play: what the vendor's list, the internal paths and the article's
tables are organised by."""

from __future__ import annotations

from typing import Literal

Role = Literal["agent", "agent-cloud", "sepm", "sepm-cloud", "console"]
ROLES: tuple[Role, ...] = ("agent", "agent-cloud", "sepm", "sepm-cloud", "console")
