"""Host names, URLs, address ranges and text as the catalog and overlays write them: what input is accepted.

A network control sees a host name (TLS SNI, HTTP Host, DNS), never a URL path; these validators split a URL into
the parts a control can keep (scheme, host, port) and the part it cannot (path).

Everything generated (Squid, PAC, Suricata, GCP bodies, lists) is built from the canonical values returned here, so
every check is a full-string match over a closed alphabet (``re.fullmatch`` with ASCII classes, never ``$``, which
also matches before a final newline, nor ``\\d``, which matches every script's digits): host labels of ASCII
letters, digits and hyphens; ports of ASCII digits; URL paths of RFC 3986 path characters only; CIDRs of hex digits,
dots, colons and one slash (no IPv6 zone id, which Python's ``ipaddress`` accepts with any text after ``%``).
Free text (usage, notes) is refused when it holds a character that some reader takes for a line break or that
changes how text is displayed: controls, format characters (bidirectional overrides), U+2028/U+2029, surrogates
(see ``unsafe_text``); emitters still escape it for their format (``escape.py``).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass

from ..escape import UNSAFE_CATEGORIES

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_URL = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<rest>.*)", re.DOTALL)
_PORT = re.compile(r"[0-9]{1,5}")
# RFC 3986 section 3.3: path = *( "/" segment ), segment = *pchar,
# pchar = unreserved / pct-encoded / sub-delims / ":" / "@".
_PATH = re.compile(r"(?:/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*)+")
_CIDR = re.compile(r"[0-9A-Fa-f:.]+/[0-9]{1,3}")
DEFAULT_PORTS = {"https": 443, "http": 80}


class HostError(ValueError):
    """A host name or URL is not usable in an egress rule."""


def unsafe_text(text: str) -> str | None:
    """Why ``text`` is refused as free text (its first unsafe character, escaped), or None when it is acceptable."""
    for char in text:
        if unicodedata.category(char) in UNSAFE_CATEGORIES:
            return f"contains U+{ord(char):04X}, which is not allowed in text (no line breaks or control characters)"
    return None


def check_text(text: str) -> str:
    """``text`` if it holds no unsafe character (see ``unsafe_text``); else ``HostError``."""
    problem = unsafe_text(text)
    if problem:
        raise HostError(problem)
    return text


def parse_port(text: str, what: str) -> int:
    """A port written in ASCII digits, 1..65535."""
    if not _PORT.fullmatch(text) or not 1 <= int(text) <= 65535:
        raise HostError(f"{what}: port {text!r} is outside 1..65535 (ASCII digits only)")
    return int(text)


def parse_cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An IPv4 or IPv6 network in CIDR notation with its host bits zero; no zone id, no other text."""
    if not _CIDR.fullmatch(text):
        raise HostError(
            f"{text!r} is not a CIDR: write ADDRESS/PREFIX with ASCII digits (no zone id, no spaces or other text)"
        )
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise HostError(f"{text!r} is not a valid CIDR ({exc})") from None


def check_host(host: str, *, allow_suffix: bool = False) -> tuple[str, bool]:
    """Validate an RFC 1123 host name and return ``(lower-cased name, is_suffix)``.

    With ``allow_suffix`` a leading ``*.`` or ``.`` marks the name as a domain suffix (the domain and all its
    subdomains); without it any wildcard is refused. IP addresses are refused: they belong in ``cidrs``.
    """
    if not isinstance(host, str) or not host:
        raise HostError("a host name is required")
    if not host.isascii():
        raise HostError(f"{host!r} is not an ASCII host name (write an internationalised name in its xn-- form)")
    name = host.lower()
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
        if not _LABEL.fullmatch(label):
            raise HostError(
                f"{host!r} is not a valid host name (RFC 1123: labels of 1-63 letters, digits and inner hyphens)"
            )
    # The WHATWG URL parser (browsers, curl, Squid) reads a name whose last label is a number, decimal or 0x hex,
    # as an IPv4 address: 1.2.3.0x4 is 1.2.3.4.
    if labels[-1].isdigit() or re.fullmatch(r"0[xX][0-9a-fA-F]*", labels[-1]):
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
    if not isinstance(text, str) or not text:
        raise HostError("a URL or host name is required")
    if unsafe_text(text) or text != text.strip():
        raise HostError(f"{text!r}: a URL has no spaces, line breaks or control characters")
    raw = text
    scheme: str | None = None
    match = _URL.fullmatch(raw)
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
        port = parse_port(port_text, repr(text))
    name, suffix = check_host(host, allow_suffix=allow_suffix)
    full_path = f"/{path}" if slash and path else None
    if full_path is not None and not _PATH.fullmatch(full_path):
        raise HostError(
            f"{text!r}: a URL path may hold only RFC 3986 path characters (letters, digits, -._~!$&'()*+,;=:@/ and "
            "%XX escapes); percent-encode anything else"
        )
    return ParsedUrl(raw=text, scheme=scheme, host=name, suffix=suffix, port=port, path=full_path)
