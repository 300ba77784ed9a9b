"""Trust stores and certificate names: which roots count as public and which as the machine's own, built once per
run; the issuer and subject of a certificate, from ``getpeercert()`` or, when no store accepts it, from its DER."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..escape import terminal_text
from .results import CheckError


@dataclass(frozen=True, slots=True)
class TrustStores:
    """Which roots count as public (default: certifi's bundle) and which as the machine's own (default: the
    system store). Tests point ``public_cafile`` at a test CA to exercise the non-intercepted path offline.

    Each context is built once per ``TrustStores`` and shared by every handshake (an ``SSLContext`` may wrap
    sockets from several threads): loading a CA bundle costs milliseconds of CPU, which at 600 targets and three
    handshakes each was most of a run."""

    public_cafile: str | None = None
    local_cafile: str | None = None
    _contexts: dict[str, ssl.SSLContext] = field(default_factory=dict, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def _cached(self, key: str, build: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        with self._lock:
            context = self._contexts.get(key)
            if context is None:
                context = self._contexts[key] = build()
            return context

    def public_context(self) -> ssl.SSLContext:
        return self._cached("public", lambda: load_context(self.public_cafile or certifi_bundle()))

    def local_context(self) -> ssl.SSLContext:
        return self._cached("local", lambda: load_context(self.local_cafile))

    def unverified_context(self) -> ssl.SSLContext:
        """A context that accepts any certificate: only to read the issuer of one that no store accepts."""
        return self._cached("unverified", _unverified_context)

    @property
    def public_name(self) -> str:
        return self.public_cafile or "certifi"


def certifi_bundle() -> str:
    """The path of certifi's bundle of public roots."""
    try:
        import certifi  # only `check` needs it, and it may be absent where only exports run
    except ImportError:  # pragma: no cover - certifi ships with the project's dependencies today
        raise CheckError(
            "the public roots come from the 'certifi' package; install it or pass --public-ca-file"
        ) from None
    return str(certifi.where())


def _unverified_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def load_context(cafile: str | None) -> ssl.SSLContext:
    """A client context trusting ``cafile`` only (the system store when None); a bad file is a ``CheckError``."""
    try:
        # With a cafile, create_default_context trusts that file only, which is what makes the comparison honest.
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise CheckError(f"cannot load CA file {cafile}: {terminal_text(exc)}") from None
    return context


def certificate_name(value: Any) -> str | None:
    """``getpeercert()``'s issuer/subject tuples as ``CN=..., O=...``."""
    short = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU", "countryName": "C"}
    # Certificate names come from whoever answers: no escape sequence of theirs reaches a terminal.
    parts = [f"{short.get(key, key)}={terminal_text(text)}" for rdn in value or () for key, text in rdn]
    return ", ".join(parts) or None


_OIDS = {b"\x55\x04\x03": "CN", b"\x55\x04\x0a": "O", b"\x55\x04\x0b": "OU", b"\x55\x04\x06": "C"}


def _tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at ``offset``."""
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    items = []
    while start < end:
        item = _tlv(data, start)
        items.append(item)
        start = item[2]
    return items


def _der_name(data: bytes, start: int, end: int) -> str | None:
    parts = []
    for _, set_start, set_end in _children(data, start, end):
        for _, pair_start, pair_end in _children(data, set_start, set_end):
            (_, oid_start, oid_end), (_, value_start, value_end) = _children(data, pair_start, pair_end)[:2]
            key = _OIDS.get(data[oid_start:oid_end])
            if key:
                parts.append(f"{key}={terminal_text(data[value_start:value_end].decode('utf-8', 'replace'))}")
    return ", ".join(parts) or None


def der_names(der: bytes) -> tuple[str | None, str | None]:
    """(issuer, subject) of a DER certificate as ``CN=..., O=...``; ``(None, None)`` if it cannot be read."""
    try:
        _, cert_start, cert_end = _tlv(der, 0)
        _, tbs_start, tbs_end = _children(der, cert_start, cert_end)[0]
        fields = _children(der, tbs_start, tbs_end)
        if fields[0][0] == 0xA0:  # explicit version
            fields = fields[1:]
        # serial, signature algorithm, issuer, validity, subject
        issuer, subject = fields[2], fields[4]
        return _der_name(der, issuer[1], issuer[2]), _der_name(der, subject[1], subject[2])
    except (IndexError, ValueError):
        return None, None
