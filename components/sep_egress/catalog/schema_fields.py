"""The field types and documents both file schemas share (the vendor's list and the internal catalog): strict
models, free text, language codes, ports, product versions, and the change history.

Like the schemas that use them, these are pydantic types: only validation imports this module. The plain objects a
validated history becomes are in ``history.py``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictInt,
    model_validator,
)

from .history import ChangeDetail, Disposition, Impact
from .hosts import unsafe_text
from .versions import ProductVersion

Version = Annotated[
    ProductVersion,
    BeforeValidator(ProductVersion.parse),
    PlainSerializer(str, return_type=str),
]
Port = Annotated[StrictInt, Field(ge=1, le=65535)]


def _safe_text(value: Any) -> Any:
    # Free text ends up in comments, messages and previews: one line, no controls, whatever the YAML escapes hid.
    if isinstance(value, bytes | bytearray):
        raise ValueError("binary data is not text")  # pydantic would decode it and skip the check below
    if isinstance(value, str):
        problem = unsafe_text(value)
        if problem:
            raise ValueError(problem)
    return value


#: Free text: any characters but controls, format characters, line/paragraph separators and surrogates.
FreeText = Annotated[str, BeforeValidator(_safe_text)]


def _language_code(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"[a-z]{2}", value):
        raise ValueError(f"{value!r} is not a two-letter language code")
    return value


#: A two-letter language code (``fr``, ``en``).
LanguageCode = Annotated[str, AfterValidator(_language_code)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, defer_build=True)


class ChangeDetailDocument(Strict):
    """One entry's part in a change (Microsoft 365 style): disposition and impact."""

    id: str
    disposition: Disposition
    impact: tuple[Impact, ...] = Field(min_length=1)
    note: FreeText | None = None

    def to_model(self) -> ChangeDetail:
        return ChangeDetail(self.id, self.disposition, self.impact, self.note)


class ChangeDocument(Strict):
    """What one catalog version added, removed or changed, and why."""

    version: str
    date: FreeText
    summary: FreeText
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[FreeText, ...] = ()
    details: tuple[ChangeDetailDocument, ...] = ()

    @model_validator(mode="after")
    def _details_match_lists(self) -> ChangeDocument:
        lists = {"add": self.added, "change": self.changed, "remove": self.removed}
        seen: set[str] = set()
        for detail in self.details:
            if detail.id in seen:
                raise ValueError(f"details: {detail.id!r} is described twice")
            seen.add(detail.id)
            if detail.id not in lists[detail.disposition]:
                raise ValueError(f"details: {detail.id!r} has disposition {detail.disposition} but is not listed there")
        return self
