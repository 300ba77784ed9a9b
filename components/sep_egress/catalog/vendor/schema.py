"""The vendor catalog's file schema: what a valid catalog or overlay file contains. Validation happens once, here.

These pydantic models describe the files as written; ``to_model()`` turns a validated document into the plain
runtime objects of ``vendor/models.py``, which the rest of the package uses (and which load without pydantic). The
field types and the change-history documents it shares with the internal catalog's schema are in
``schema_fields.py``.

Imports written ``X as X`` re-export what the old flat module ``catalog/schema.py`` held, for its old path
(``MOVED_MODULES`` in ``catalog/__init__.py``).
"""

from __future__ import annotations

import datetime
import ipaddress
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..history import CATALOG_VERSION, ENTRY_ID, Change
from ..history import Impact as Impact
from ..history import check_change_history as check_change_history
from ..hosts import HostError, ParsedUrl, parse_cidr, parse_url
from ..roles import ROLES, Role
from ..schema_fields import ChangeDetailDocument as ChangeDetailDocument
from ..schema_fields import ChangeDocument as ChangeDocument
from ..schema_fields import FreeText as FreeText
from ..schema_fields import LanguageCode as LanguageCode
from ..schema_fields import Port as Port
from ..schema_fields import Strict as Strict
from ..schema_fields import Version as Version
from . import models
from .models import Protocol, StorageProvider

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse_cidr(value: Any) -> IPNetwork:
    if not isinstance(value, str):
        raise ValueError(f"a CIDR is text such as '10.0.0.0/24', not {type(value).__name__}")
    try:
        network = parse_cidr(value)
    except HostError as exc:
        raise ValueError(str(exc)) from None
    if network.prefixlen == 0:
        raise ValueError(f"{value!r} allows every address; sep-egress never emits an allow-all")
    return network


Cidr = Annotated[IPNetwork, BeforeValidator(_parse_cidr), PlainSerializer(str, return_type=str)]


class LocalizedDocument(Strict):
    """A text in the article's French and in English."""

    fr: FreeText | None = None
    en: FreeText

    def to_model(self) -> models.Text:
        return models.Text(en=self.en, fr=self.fr)


class ConditionDocument(Strict):
    """When an entry applies beyond its role and versions."""

    proxy: StrictBool | None = Field(default=None, description="Only when the deployment uses a proxy (true).")


EndpointUrl = Annotated[ParsedUrl, PlainSerializer(lambda url: url.raw, return_type=str)]


class EntryDocument(Strict):
    """One set of URLs (or CIDRs) that share a role, ports, version bounds and conditions."""

    id: str = Field(description="Stable identifier, never reused: lower-case letters, digits and hyphens.")
    role: Role
    row: FreeText | None = Field(default=None, description="The article's row title this entry comes from.")
    usage: LocalizedDocument
    blocked: FreeText | None = Field(default=None, description="What breaks when this entry is blocked.")
    domain_suffix: StrictBool = Field(
        default=False, description="Hosts written '*.example.com' or '.example.com' allow a domain and its subdomains."
    )
    urls: tuple[EndpointUrl, ...] = ()
    cidrs: tuple[Cidr, ...] = ()
    ports: tuple[Port, ...] = ()
    protocol: Protocol | None = Field(
        default=None,
        description="tls or http for hosts (default: from the URL scheme, tls for a bare host); tcp or udp for CIDRs.",
    )
    min_version: Version | None = Field(default=None, description="First release that needs it (inclusive).")
    max_version: Version | None = Field(default=None, description="Last release that needs it (inclusive).")
    before_version: Version | None = Field(
        default=None, description="First release that no longer needs it (exclusive): 'n'est plus requis dans X'."
    )
    when: ConditionDocument | None = None
    storage: StorageProvider | None = Field(
        default=None, description="Storage phase this entry belongs to: aws (S3) or gcp (storage.googleapis.com)."
    )
    footnote: FreeText | None = None
    shared_host: FreeText | None = Field(
        default=None, description="Why a host rule for this entry admits more than the vendor's own service."
    )

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not ENTRY_ID.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid id (lower-case letters, digits and inner hyphens, 1-64)")
        return value

    @field_validator("urls", mode="before")
    @classmethod
    def _parse_urls(cls, value: Any, info: ValidationInfo) -> tuple[EndpointUrl, ...]:
        if not isinstance(value, list | tuple):
            raise ValueError("urls is a list of URLs or host names")
        allow_suffix = bool(info.data.get("domain_suffix", False))
        parsed = []
        for index, raw in enumerate(value):
            if isinstance(raw, ParsedUrl):
                parsed.append(raw)
                continue
            if not isinstance(raw, str):
                raise ValueError(f"urls[{index}]: a URL is text, not {type(raw).__name__}")
            try:
                parsed.append(parse_url(raw, allow_suffix=allow_suffix))
            except HostError as exc:
                raise ValueError(f"urls[{index}]: {exc}") from None
        return tuple(parsed)

    @field_validator("ports")
    @classmethod
    def _unique_ports(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a port is listed twice")
        return tuple(sorted(value))

    @model_validator(mode="after")
    def _coherent(self) -> EntryDocument:
        if not self.urls and not self.cidrs:
            raise ValueError("an entry needs 'urls' or 'cidrs'")
        if self.cidrs and not self.ports:
            raise ValueError("ports: entries with 'cidrs' must list their ports")
        for index, url in enumerate(self.urls):
            if url.port is None and not self.ports and url.scheme is None:
                raise ValueError(f"urls[{index}]: {url.raw!r} has no scheme or port; list 'ports'")
        if self.protocol in ("tcp", "udp") and self.urls:
            raise ValueError("protocol: tcp and udp apply to 'cidrs'; host names are matched by tls or http")
        if self.protocol in ("tls", "http") and self.cidrs and not self.urls:
            raise ValueError("protocol: entries with only 'cidrs' use tcp or udp")
        if self.min_version and self.max_version and self.max_version < self.min_version:
            raise ValueError(f"max_version {self.max_version} is before min_version {self.min_version}")
        if self.max_version and self.before_version:
            raise ValueError("give max_version (inclusive) or before_version (exclusive), not both")
        if self.min_version and self.before_version and not self.min_version < self.before_version:
            raise ValueError(f"before_version {self.before_version} leaves no release after min_version")
        return self

    def to_model(self) -> models.Entry:
        return models.Entry(
            id=self.id,
            role=self.role,
            usage=self.usage.to_model(),
            urls=self.urls,
            cidrs=tuple(str(network) for network in self.cidrs),
            ports=self.ports,
            protocol=self.protocol,
            min_version=self.min_version,
            max_version=self.max_version,
            before_version=self.before_version,
            requires_proxy=self.when.proxy if self.when else None,
            storage=self.storage,
            row=self.row,
            blocked=self.blocked,
            footnote=self.footnote,
            shared_host=self.shared_host,
        )


class NoticeDocument(LocalizedDocument):
    """An article-wide statement (TLS inspection, the storage move, ...)."""


class ReadingDocument(Strict):
    """How the catalog reads an ambiguous passage of the article."""

    id: FreeText
    fr: FreeText
    reading: FreeText


UNVERIFIED = models.UNVERIFIED


class EditionDocument(Strict):
    """One language edition of the article: where it is, when it was read, and whether the catalog comes from it."""

    # The checks come from vendor/models.py: the catalog cache applies the same ones without pydantic.
    language: Annotated[str, AfterValidator(models.check_language_tag)] = Field(
        description="BCP 47 language tag of the edition: fr, en, es, pt-BR, ja."
    )
    title: FreeText | None = Field(default=None, description="The edition's title as the page writes it.")
    url: Annotated[str, AfterValidator(models.check_edition_url)] = Field(
        description="The page's https:// URL, or 'unverified'."
    )
    kb: Annotated[str | None, AfterValidator(models.check_kb)] = Field(
        default=None, description="Broadcom knowledge-base article number, when the page is one."
    )
    retrieved: Annotated[str, AfterValidator(models.check_retrieved)] = Field(
        description="Date (YYYY-MM-DD) the copy the catalog was read from was taken, or 'unverified'"
    )
    read: StrictBool = Field(description="True if the catalog's entries were read from this edition.")
    note: FreeText | None = None

    @field_validator("retrieved", mode="before")
    @classmethod
    def _retrieved_date(cls, value: Any) -> Any:
        # YAML reads an unquoted 2026-11-28 as a date; it means the same as the quoted text.
        return value.isoformat() if isinstance(value, datetime.date) else value

    def to_model(self) -> models.Edition:
        return models.Edition(
            language=self.language,
            url=self.url,
            retrieved=self.retrieved,
            read=self.read,
            title=self.title,
            kb=self.kb,
            note=self.note,
        )


class SourceDocument(Strict):
    title: FreeText
    publisher: FreeText
    language: FreeText
    kind: FreeText
    editions: tuple[EditionDocument, ...] = Field(
        default=(), description="The editions of the article the catalog was read from or is checked against."
    )


class CatalogDocument(Strict):
    """The vendor's list: versioned, with a change history, readings of ambiguous text and notices."""

    version: str
    source: SourceDocument
    roles: dict[Role, LocalizedDocument]
    notices: dict[str, NoticeDocument]
    readings: tuple[ReadingDocument, ...] = ()
    entries: tuple[EntryDocument, ...]
    changes: tuple[ChangeDocument, ...]

    @field_validator("version")
    @classmethod
    def _version_shape(cls, value: str) -> str:
        if not CATALOG_VERSION.fullmatch(value):
            raise ValueError(f"{value!r} is not a catalog version (YYYY.MM.DD, optionally .N)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CatalogDocument:
        missing_roles = [role for role in ROLES if role not in self.roles]
        if missing_roles:
            raise ValueError(f"roles: missing {', '.join(missing_roles)}")
        ids = [entry.id for entry in self.entries]
        for entry in self.entries:
            if entry.footnote and entry.footnote not in self.notices:
                raise ValueError(f"entry {entry.id!r}: footnote {entry.footnote!r} is not a notice")
        for change in self.changes:
            if not CATALOG_VERSION.fullmatch(change.version):
                raise ValueError(f"changes: {change.version!r} is not a catalog version")
        check_change_history(self.changes, self.version, ids, "entries")
        return self

    def to_model(self) -> models.Catalog:
        return models.Catalog(
            version=self.version,
            source=self.source.model_dump(exclude={"editions"}),
            roles={role: text.to_model() for role, text in self.roles.items()},
            notices={key: notice.to_model() for key, notice in self.notices.items()},
            readings=tuple(models.Reading(reading.id, reading.fr, reading.reading) for reading in self.readings),
            entries=tuple(entry.to_model() for entry in self.entries),
            changes=tuple(
                Change(
                    change.version,
                    change.date,
                    change.summary,
                    change.added,
                    change.removed,
                    change.changed,
                    tuple(detail.to_model() for detail in change.details),
                )
                for change in self.changes
            ),
            editions=tuple(edition.to_model() for edition in self.source.editions),
        )


class OverlayDocument(Strict):
    """A user's additions and exclusions, applied on top of the catalog."""

    description: FreeText | None = None
    entries: tuple[EntryDocument, ...] = ()
    exclude: tuple[str, ...] = Field(default=(), description="Catalog (or earlier overlay) entry ids to leave out.")

    @field_validator("exclude")
    @classmethod
    def _exclude_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for index, entry_id in enumerate(value):
            if not ENTRY_ID.fullmatch(entry_id):
                raise ValueError(f"exclude[{index}]: {entry_id!r} is not a valid id")
        return value

    def to_model(self) -> models.Overlay:
        return models.Overlay(
            entries=tuple(entry.to_model() for entry in self.entries),
            exclude=self.exclude,
            description=self.description,
        )
