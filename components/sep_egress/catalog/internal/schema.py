"""The file schema of the internal-paths catalog (``data/internal.yaml``): validation happens once, here.

Like ``vendor/schema.py`` for the vendor's list, these pydantic models describe the file as written; ``to_model()``
turns a validated document into the plain runtime objects of ``internal/models.py``, which load without pydantic.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, field_validator, model_validator

from ..history import CATALOG_VERSION, ENTRY_ID, Change, check_change_history
from ..roles import Role
from ..schema_fields import ChangeDocument, FreeText, LanguageCode, Port, Strict, Version
from .models import DESTINATION_KIND, InternalCatalog, InternalPath, InternalReading, InternalSource, Quote


class InternalSourceDocument(Strict):
    """A document the paths are transcribed from, and how much of it could be read."""

    title: FreeText
    publisher: FreeText
    kind: FreeText
    language: LanguageCode
    url: str = Field(pattern=r"^https://[^\s]+$")
    also: FreeText | None = None
    read: FreeText = Field(description="What part of the document was read; facts outside it are not transcribed.")


class DestinationDocument(Strict):
    en: FreeText


class InternalReadingDocument(Strict):
    """How the file reads an ambiguous passage of a source."""

    id: str
    source: str
    text: FreeText
    reading: FreeText


class QuoteDocument(Strict):
    """The source's own words for a path, in the language they were read in."""

    language: LanguageCode
    text: FreeText


class UsageDocument(Strict):
    en: FreeText


class PathDocument(Strict):
    """One internal path: from a role to a kind of internal destination, on one transport and its ports."""

    id: str = Field(description="Stable identifier, never reused, distinct from every catalog entry id.")
    from_: Role = Field(alias="from", description="The role whose machines open the connection.")
    to: str = Field(description="The kind of internal destination (a key of `destinations`).")
    protocol: Literal["tcp", "udp"]
    ports: tuple[Port, ...]
    configurable: StrictBool = Field(description="Whether the source says the port can be changed.")
    optional: StrictBool = Field(default=False, description="Selected only when the user names the path.")
    usage: UsageDocument
    blocked: FreeText = Field(description="What breaks when this path is blocked.")
    caveat: FreeText | None = Field(default=None, description="A plan warning shown whenever the path is selected.")
    source: str
    quote: QuoteDocument
    min_version: Version | None = None
    max_version: Version | None = None
    before_version: Version | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not ENTRY_ID.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid id (lower-case letters, digits and inner hyphens, 1-64)")
        return value

    @field_validator("ports")
    @classmethod
    def _unique_ports(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a port is listed twice")
        return tuple(sorted(value))

    @model_validator(mode="after")
    def _coherent(self) -> PathDocument:
        if not self.ports:
            raise ValueError("ports: list at least one port")
        if self.min_version and self.max_version and self.max_version < self.min_version:
            raise ValueError(f"max_version {self.max_version} is before min_version {self.min_version}")
        if self.max_version and self.before_version:
            raise ValueError("give max_version (inclusive) or before_version (exclusive), not both")
        if self.min_version and self.before_version and not self.min_version < self.before_version:
            raise ValueError(f"before_version {self.before_version} leaves no release after min_version")
        return self

    def to_model(self) -> InternalPath:
        return InternalPath(
            id=self.id,
            from_role=self.from_,
            to=self.to,
            protocol=self.protocol,
            ports=self.ports,
            configurable=self.configurable,
            optional=self.optional,
            usage=self.usage.en,
            blocked=self.blocked,
            caveat=self.caveat,
            source=self.source,
            quote=Quote(language=self.quote.language, text=" ".join(self.quote.text.split())),
            min_version=self.min_version,
            max_version=self.max_version,
            before_version=self.before_version,
        )


class NotTranscribedDocument(Strict):
    subject: FreeText
    why: FreeText


class InternalCatalogDocument(Strict):
    """The internal-paths file: versioned, with its sources, readings and change history."""

    version: str
    sources: dict[str, InternalSourceDocument] = Field(min_length=1)
    destinations: dict[str, DestinationDocument] = Field(min_length=1)
    readings: tuple[InternalReadingDocument, ...] = ()
    paths: tuple[PathDocument, ...] = Field(min_length=1)
    not_transcribed: tuple[NotTranscribedDocument, ...] = ()
    changes: tuple[ChangeDocument, ...]

    @field_validator("version")
    @classmethod
    def _version_shape(cls, value: str) -> str:
        if not CATALOG_VERSION.fullmatch(value):
            raise ValueError(f"{value!r} is not a catalog version (YYYY.MM.DD, optionally .N)")
        return value

    @field_validator("destinations")
    @classmethod
    def _kind_names(cls, value: dict[str, DestinationDocument]) -> dict[str, DestinationDocument]:
        for kind in value:
            if not DESTINATION_KIND.fullmatch(kind):
                raise ValueError(f"{kind!r} is not a destination kind (lower-case letters, digits, inner hyphens)")
            if kind in ("ports", "paths"):  # the stack key's own options sit beside the kinds
                raise ValueError(f"{kind!r} is reserved for the options of sep-egress:internal")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> InternalCatalogDocument:
        ids = [path.id for path in self.paths]
        duplicates = sorted({path_id for path_id in ids if ids.count(path_id) > 1})
        if duplicates:
            raise ValueError(f"paths: duplicate id {', '.join(duplicates)}")
        for path in self.paths:
            if path.to not in self.destinations:
                raise ValueError(f"path {path.id!r}: destination kind {path.to!r} is not under 'destinations'")
            if path.source not in self.sources:
                raise ValueError(f"path {path.id!r}: source {path.source!r} is not under 'sources'")
        for reading in self.readings:
            if reading.source not in self.sources:
                raise ValueError(f"reading {reading.id!r}: source {reading.source!r} is not under 'sources'")
        check_change_history(self.changes, self.version, ids, "paths")
        return self

    def to_model(self) -> InternalCatalog:
        return InternalCatalog(
            version=self.version,
            sources={
                key: InternalSource(
                    title=" ".join(source.title.split()),
                    publisher=source.publisher,
                    kind=source.kind,
                    language=source.language,
                    url=source.url,
                    read=" ".join(source.read.split()),
                )
                for key, source in self.sources.items()
            },
            destinations={kind: text.en for kind, text in self.destinations.items()},
            readings=tuple(
                InternalReading(
                    reading.id, reading.source, " ".join(reading.text.split()), " ".join(reading.reading.split())
                )
                for reading in self.readings
            ),
            paths=tuple(path.to_model() for path in self.paths),
            not_transcribed=tuple((item.subject, item.why) for item in self.not_transcribed),
            changes=tuple(
                Change(change.version, change.date, change.summary, change.added, change.removed, change.changed)
                for change in self.changes
            ),
        )
