"""Plan -> proxy auto-configuration (PAC) file: the plan's host names to the proxy, every other host elsewhere.

The script is built only from the plan's host names and the routes validated by ``pac_route``; names and routes
go out only as ``js_string`` literals, free text only through ``js_comment``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...catalog.vendor.plan import EgressPlan
from ...escape import js_string
from .text import ProxyExportError, covered, header, host_port, warning_lines

_PAC_KEYWORDS = ("PROXY", "HTTPS", "SOCKS", "SOCKS4", "SOCKS5")


def _proxy_target(value: str, what: str) -> str:
    address = host_port(value)
    if address is None:
        raise ProxyExportError(f"{what} {value!r}: expected HOST:PORT in ASCII, e.g. proxy.example.com:3128")
    return f"{address[0]}:{address[1]}"


def pac_route(value: str, what: str = "--proxy-url") -> str:
    """Normalise a PAC result: ``DIRECT``, ``HOST:PORT`` (meaning ``PROXY HOST:PORT``) or ``KEYWORD HOST:PORT``,
    several joined by ``;`` for fallback. Anything else is refused, so the PAC never carries injected script."""
    parts = []
    if not value.isascii():
        raise ProxyExportError(f"{what} {value!r}: use DIRECT, HOST:PORT or 'PROXY HOST:PORT' in ASCII")
    for raw in value.split(";"):
        token = raw.strip(" ")
        if not token:
            continue
        if token.upper() == "DIRECT":
            parts.append("DIRECT")
            continue
        words = token.split(" ")
        words = [word for word in words if word]
        if len(words) == 1:
            parts.append("PROXY " + _proxy_target(words[0], what))
        elif len(words) == 2 and words[0].upper() in _PAC_KEYWORDS:
            parts.append(f"{words[0].upper()} {_proxy_target(words[1], what)}")
        else:
            raise ProxyExportError(f"{what} {value!r}: use DIRECT, HOST:PORT or 'PROXY HOST:PORT' (';' for fallback)")
    if not parts:
        raise ProxyExportError(f"{what} is empty: use DIRECT or HOST:PORT")
    return "; ".join(parts)


def pac_file(plan: EgressPlan, *, route: str, default: str = "DIRECT") -> str:
    """A PAC file sending the plan's host names to ``route`` and every other host to ``default``.

    Both are normalised by ``pac_route``. An exact name matches only itself; a suffix name matches itself and its
    subdomains through ``dnsDomainIs(host, "." + name)``, never a bare string suffix (which would let
    ``evil-symantec.com`` match ``symantec.com``). The PAC chooses a route, not a policy: ports are the proxy's
    and firewall's business.
    """
    catalog_route = pac_route(route, "--proxy-url")
    other_route = pac_route(default, "--pac-default")
    exact = sorted({rule.host for rule in plan.allow if rule.match == "exact"})
    suffix = sorted({rule.host for rule in plan.allow if rule.match == "suffix"})
    exact = [name for name in exact if covered(name, suffix) is None and name not in suffix]
    out = header(plan, "Proxy auto-configuration (PAC) file", "//")
    out += ["//", *warning_lines(plan, "//")]

    def js_array(variable: str, names: Sequence[str]) -> list[str]:
        if not names:
            return [f"  var {variable} = [];"]
        items = [f"    {js_string(name)}," for name in names]
        items[-1] = items[-1].rstrip(",")
        return [f"  var {variable} = [", *items, "  ];"]

    out += [
        "",
        "function FindProxyForURL(url, host) {",
        "  // Host names are case-insensitive and may carry the root's trailing dot.",
        "  var name = host.toLowerCase();",
        '  if (name.length > 0 && name.charAt(name.length - 1) == ".") {',
        "    name = name.substring(0, name.length - 1);",
        "  }",
        *js_array("exact", exact),
        *js_array("suffixes", suffix),
        "  var i;",
        "  for (i = 0; i < exact.length; i++) {",
        "    if (name == exact[i]) {",
        f"      return {js_string(catalog_route)};",
        "    }",
        "  }",
        "  for (i = 0; i < suffixes.length; i++) {",
        '    if (name == suffixes[i] || dnsDomainIs(name, "." + suffixes[i])) {',
        f"      return {js_string(catalog_route)};",
        "    }",
        "  }",
        f"  return {js_string(other_route)};",
        "}",
    ]
    return "\n".join(out) + "\n"
