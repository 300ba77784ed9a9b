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


def pac_file(
    plan: EgressPlan,
    *,
    route: str,
    default: str = "DIRECT",
    proxied: frozenset[str] | None = None,
    proxied_route: str | None = None,
) -> str:
    """A PAC file sending the plan's host names to ``route`` and every other host to ``default``.

    Both are normalised by ``pac_route``. An exact name matches only itself; a suffix name matches itself and its
    subdomains through ``dnsDomainIs(host, "." + name)``, never a bare string suffix (which would let
    ``evil-symantec.com`` match ``symantec.com``). The PAC chooses a route, not a policy: ports are the proxy's
    and firewall's business.

    With ``proxied`` (plan host names, e.g. those a Secure Web Proxy serves), those names go to ``proxied_route``
    and the plan's other names to ``route``; exact names are tested before suffixes, so the most specific entry
    decides. Without it the output is the single-route file above, byte for byte.
    """
    catalog_route = pac_route(route, "--proxy-url")
    other_route = pac_route(default, "--pac-default")
    exact_all = sorted({rule.host for rule in plan.allow if rule.match == "exact"})
    suffix_all = sorted({rule.host for rule in plan.allow if rule.match == "suffix"})
    if proxied is None:
        groups = [("", catalog_route, exact_all, suffix_all)]
    else:
        if proxied_route is None:
            raise ProxyExportError("a PAC with proxied names needs the proxy's route")
        to_proxy = pac_route(proxied_route, "the proxy's address")
        groups = [
            (
                "proxied_",
                to_proxy,
                [name for name in exact_all if name in proxied],
                [name for name in suffix_all if name in proxied],
            ),
            (
                "direct_",
                catalog_route,
                [name for name in exact_all if name not in proxied],
                [name for name in suffix_all if name not in proxied],
            ),
        ]
    # An exact name under a suffix of the same route adds nothing (the suffix test sends it there already).
    groups = [
        (prefix, target, [name for name in exact if covered(name, suffix) is None and name not in suffix], suffix)
        for prefix, target, exact, suffix in groups
    ]
    out = header(plan, "Proxy auto-configuration (PAC) file", "//")
    out += ["//", *warning_lines(plan, "//")]

    def js_array(variable: str, names: Sequence[str]) -> list[str]:
        if not names:
            return [f"  var {variable} = [];"]
        items = [f"    {js_string(name)}," for name in names]
        items[-1] = items[-1].rstrip(",")
        return [f"  var {variable} = [", *items, "  ];"]

    arrays: list[str] = []
    exact_tests: list[str] = []
    suffix_tests: list[str] = []
    for prefix, target, exact, suffix in groups:
        arrays += [*js_array(f"{prefix}exact", exact), *js_array(f"{prefix}suffixes", suffix)]
        exact_tests += [
            f"  for (i = 0; i < {prefix}exact.length; i++) {{",
            f"    if (name == {prefix}exact[i]) {{",
            f"      return {js_string(target)};",
            "    }",
            "  }",
        ]
        suffix_tests += [
            f"  for (i = 0; i < {prefix}suffixes.length; i++) {{",
            f'    if (name == {prefix}suffixes[i] || dnsDomainIs(name, "." + {prefix}suffixes[i])) {{',
            f"      return {js_string(target)};",
            "    }",
            "  }",
        ]
    out += [
        "",
        "function FindProxyForURL(url, host) {",
        "  // Host names are case-insensitive and may carry the root's trailing dot.",
        "  var name = host.toLowerCase();",
        '  if (name.length > 0 && name.charAt(name.length - 1) == ".") {',
        "    name = name.substring(0, name.length - 1);",
        "  }",
        *arrays,
        "  var i;",
        *exact_tests,
        *suffix_tests,
        f"  return {js_string(other_route)};",
        "}",
    ]
    return "\n".join(out) + "\n"
