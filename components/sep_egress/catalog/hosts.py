"""Host names and URLs as the catalog and overlays write them.

A network control sees a host name (TLS SNI, HTTP Host, DNS), never a URL path; these helpers split a URL into
the parts a control can keep (scheme, host, port) and the part it cannot (path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_URL = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<rest>.*)$")
DEFAULT_PORTS = {"https": 443, "http": 80}


class HostError(ValueError):
    """A host name or URL is not usable in an egress rule."""


def check_host(host: str, *, allow_suffix: bool = False) -> tuple[str, bool]:
    """Validate an RFC 1123 host name and return ``(lower-cased name, is_suffix)``.

    With ``allow_suffix`` a leading ``*.`` or ``.`` marks the name as a domain suffix (the domain and all its
    subdomains); without it any wildcard is refused. IP addresses are refused: they belong in ``cidrs``.
    """
    if not isinstance(host, str) or not host:
        raise HostError("a host name is required")
    name = host.strip().lower()
    suffix = False
    if name.startswith("*.") or name.startswith("."):
        if not allow_suffix:
            raise HostError(
                f"{host!r} is a wildcard; declare the entry with 'domain_suffix: true' to allow a domain and its "
                "subdomains, or list the exact host names"
            )
        name = name[2:] if name.startswith("*.") else name[1:]
        suffix = True
    if "*" in name:
        raise HostError(f"{host!r}: a wildcard may only be the first label ('*.example.com')")
    if name.endswith("."):
        name = name[:-1]
    if len(name) > 253:
        raise HostError(f"{host!r} is longer than 253 characters")
    labels = name.split(".")
    if len(labels) < 2:
        raise HostError(f"{host!r} is not a fully qualified host name (it needs a domain, as in 'host.example.com')")
    for label in labels:
        if not _LABEL.match(label):
            raise HostError(
                f"{host!r} is not a valid host name (RFC 1123: labels of 1-63 letters, digits and inner hyphens)"
            )
    if labels[-1].isdigit():
        raise HostError(f"{host!r} looks like an IP address; declare addresses under 'cidrs'")
    return name, suffix


@dataclass(frozen=True, slots=True)
class ParsedUrl:
    """A URL as written (``raw``), the parts a control can keep (scheme, host, explicit port), and its path."""

    raw: str
    scheme: str | None
    host: str
    suffix: bool
    port: int | None
    path: str | None


def parse_url(text: str, *, allow_suffix: bool = False) -> ParsedUrl:
    """Split ``https://host[:port]/path`` (or a bare ``host``) into its parts, validating the host.

    A path of ``/`` alone is no path. Query strings and fragments are refused: the vendor lists none, and a
    control could not keep them.
    """
    if not isinstance(text, str) or not text.strip():
        raise HostError("a URL or host name is required")
    raw = text.strip()
    scheme: str | None = None
    match = _URL.match(raw)
    if match:
        scheme = match["scheme"].lower()
        if scheme not in DEFAULT_PORTS:
            raise HostError(f"{text!r}: only http:// and https:// URLs can be allowed (got {scheme}://)")
        raw = match["rest"]
    elif "://" in raw:
        raise HostError(f"{text!r} is not a URL")
    if "?" in raw or "#" in raw:
        raise HostError(f"{text!r}: query strings and fragments cannot be enforced by a network control")
    hostport, slash, path = raw.partition("/")
    if "@" in hostport:
        raise HostError(f"{text!r}: credentials in a URL are not allowed")
    port: int | None = None
    host = hostport
    if ":" in hostport:
        host, _, port_text = hostport.rpartition(":")
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise HostError(f"{text!r}: port {port_text!r} is outside 1..65535")
        port = int(port_text)
    name, suffix = check_host(host, allow_suffix=allow_suffix)
    full_path = f"/{path}" if slash and path else None
    return ParsedUrl(raw=text, scheme=scheme, host=name, suffix=suffix, port=port, path=full_path)
