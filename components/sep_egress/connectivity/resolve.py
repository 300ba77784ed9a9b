"""Name resolution for checks: the system resolver with a deadline, and curl-like overrides (``--resolve``,
``--connect-to``) that keep overridden names away from DNS."""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .results import CheckError

Address = tuple[str, int]
#: Resolves ``(host, port)`` to the addresses to try, in order; raises ``OSError`` (or ``TimeoutError``) on failure.
Resolver = Callable[[str, int, float], list[Address]]


def system_resolver(host: str, port: int, timeout: float) -> list[Address]:
    """``getaddrinfo`` with a deadline: it has none of its own, so it runs in a daemon thread we can walk away from."""
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            outcome["value"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            outcome["error"] = exc
        except (UnicodeError, ValueError) as exc:  # the IDNA codec refuses the name (an empty or long label)
            outcome["error"] = OSError(f"not a name DNS can look up ({exc})")
        finally:
            done.set()

    threading.Thread(target=lookup, name=f"dns {host}", daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(f"no answer within {timeout:g}s")
    if "error" in outcome:
        raise outcome["error"]
    addresses: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in outcome["value"]:
        address = (str(sockaddr[0]), int(sockaddr[1]))
        if address not in addresses:
            addresses.append(address)
    return addresses


# Matched whole, ASCII only: a host of letters, digits, dots and hyphens (or *), ports of ASCII digits.
_CONNECT_TO = re.compile(
    r"(?P<host>\*|[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5}):(?P<addr>\[[0-9a-fA-F:.]+\]|[0-9.]+):(?P<to>[0-9]{1,5})"
)
_RESOLVE = re.compile(r"(?P<host>\*|[A-Za-z0-9.-]+):(?P<addr>\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+)")


def _address(text: str, option: str, value: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        raise CheckError(f"{option} {value!r}: {text!r} is not an IP address") from None


def _port(text: str, option: str, value: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise CheckError(f"{option} {value!r}: port {port} is not 1-65535")
    return port


@dataclass(frozen=True, slots=True)
class Overrides:
    """Name overrides, like curl's: ``resolve`` maps a host (or ``*``) to addresses on the target's own port;
    ``connect_to`` maps ``(host, port)`` (host may be ``*``) to one address and port. Overridden names never reach
    the system resolver."""

    resolve: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    connect_to: Mapping[tuple[str, int], Address] = field(default_factory=dict)

    @classmethod
    def parse(cls, resolve: Sequence[str] = (), connect_to: Sequence[str] = ()) -> Overrides:
        """From ``--resolve HOST:IP`` and ``--connect-to HOST:PORT:IP:PORT`` values (IPv6 in brackets)."""
        names: dict[str, list[str]] = {}
        for value in resolve:
            match = _RESOLVE.fullmatch(value.strip())
            if match is None:
                raise CheckError(f"--resolve {value!r}: expected HOST:IP, e.g. liveupdate.symantec.com:127.0.0.1")
            names.setdefault(match["host"].lower(), []).append(_address(match["addr"], "--resolve", value))
        routes: dict[tuple[str, int], Address] = {}
        for value in connect_to:
            match = _CONNECT_TO.fullmatch(value.strip())
            if match is None:
                raise CheckError(
                    f"--connect-to {value!r}: expected HOST:PORT:IP:PORT, e.g. example.com:443:127.0.0.1:8443"
                )
            key = (match["host"].lower(), _port(match["port"], "--connect-to", value))
            routes[key] = (_address(match["addr"], "--connect-to", value), _port(match["to"], "--connect-to", value))
        return cls({host: tuple(addrs) for host, addrs in names.items()}, routes)

    def lookup(self, host: str, port: int) -> list[Address] | None:
        for key in ((host, port), ("*", port)):
            if key in self.connect_to:
                return [self.connect_to[key]]
        for name in (host, "*"):
            if name in self.resolve:
                return [(address, port) for address in self.resolve[name]]
        return None


def format_address(address: Address) -> str:
    """An address as ``ip:port`` (``[ipv6]:port``) for reports."""
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
