"""Field checks: can this machine reach every host and port of a plan, and is anyone decrypting the traffic?

For each plan rule this resolves the name, opens a TCP connection and, for TLS rules, completes a handshake with
SNI. The certificate is validated first against the public roots (certifi's bundle, or a bundle the caller names);
a chain that fails there is reported as ``intercepted``, and checked again against the machine's own store (or a
given CA file) to tell a corporate inspection CA (accepted locally) from a broken or foreign certificate. The
vendor pins its certificates, so an agent fails in both cases, and both fail the check.

HTTP rules (port 80, clear text) get DNS and TCP only: sending a request would prove nothing about the agent's
own requests and could be logged as one.

Through an explicit HTTP proxy (``Proxy``), the proxy resolves the names, so the local DNS phase is skipped; TCP is
the connection to the proxy, and a ``proxy`` phase records its answer: ``CONNECT host:port`` for TLS rules (then
the same handshake and trust comparison inside the tunnel, which is how a proxy that decrypts the vendor's hosts
shows up), ``HEAD http://host/`` for HTTP rules, since a proxy's allow-list is only visible in its answer to a
request. This package is the only place in sep-egress that opens connections.

Modules, one per concern: ``results`` (targets, phases, verdicts), ``trust`` (trust stores built once per run,
certificate names), ``resolve`` (system resolver, overrides), ``proxy`` (``--via``: URL, credentials, answers),
``probe`` (one check, many checks).
"""

from .probe import check_all, check_target
from .proxy import PASSWORD_ENV, USER_ENV, Proxy, ProxyAnswer
from .resolve import Address, Overrides, Resolver, system_resolver
from .results import CheckError, CheckResult, DnsPhase, Phase, ProxyPhase, Target, TcpPhase, TlsPhase, targets_from_plan
from .trust import TrustStores, der_names

__all__ = [
    "PASSWORD_ENV",
    "USER_ENV",
    "Address",
    "CheckError",
    "CheckResult",
    "DnsPhase",
    "Overrides",
    "Phase",
    "Proxy",
    "ProxyAnswer",
    "ProxyPhase",
    "Resolver",
    "Target",
    "TcpPhase",
    "TlsPhase",
    "TrustStores",
    "check_all",
    "check_target",
    "der_names",
    "system_resolver",
    "targets_from_plan",
]
