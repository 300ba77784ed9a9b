"""AWS Network Firewall compiler: the Suricata rule text (pass rules, the guard, sids, rule lengths).

Every line is built from validated canonical values (roles, ports, CIDRs, hosts the catalog validated); the only
free text is ``msg``, built here from those same values.

How the guard blocks, and why, follows AWS's own egress samples (aws/aws-security-services-best-practices,
docs/en/guides/network-firewall/sample-suricata-rules, "Egress default block rules"; and
aws-samples/aws-network-firewall-strict-rule-ordering-terraform, policy.tf):

- The TCP handshake is passed in *both* directions on the ports a role needs, as the strict-order sample's
  ``pass tcp $HOME_NET any <> $EXTERNAL_NET 443 (flow:not_established; ...)`` does, so SYN-ACKs pass too when a
  consumer's policy uses ``aws:drop_strict``; the reply direction only for connections the role opened (a
  flowbit set by the outbound pass), so the rules never pass an inbound SYN.
- TLS is refused only once the ClientHello is complete (``ssl_state:client_hello; ja4.hash; content:"_"``: the
  JA4 hash exists only once the whole ClientHello is parsed). A protocol-only ``drop tls`` is an application-layer
  rule with flow scope that can fire on the first segment of a ClientHello split by a post-quantum key share,
  before ``tls.sni`` exists, and kill a connection to an allowed name. HTTP likewise: refused once the request
  headers are complete (``http.start``, the request line and headers, is inspected only then), not on the request
  line. Not ``http.header_names``: a request with no header at all has an empty names buffer, which Suricata does
  not inspect (``GetBuffer1ForTX`` returns NULL for length 0), so such a request would never be refused.
- While a ClientHello or request is incomplete, the flow is marked (the sample's ``PQC`` flowbit, here
  ``sep_egress_pending``) and its segments are passed packet by packet (a ``tcp`` rule with ``flow:`` has packet
  scope), so the groups work whatever the consumer's default action: the decision waits for the name. Unlike the
  sample, that state has a bound (replayed in Suricata 7 by tests/engines, where the unbounded one passed a
  tunnel): only a first data segment that begins a ClientHello record or an HTTP request starts it, the client may
  send one TLS record's worth (``stream_size``) and the server nothing but acknowledgements (``dsize:0``).
- Whatever is left over TCP (other ports, a first segment that begins no ClientHello or request, bytes past the
  bound) is refused by a ``tcp`` rule, and server data on a flow no rule passed by another.
- The guard covers the destinations ``guard_scope`` says (``!$SEP_EGRESS_EXEMPT``); what it leaves alone gets
  neither a pass nor a refusal from it. In observe mode every refusal is an ``alert`` with the same sid and msg.
- ``reject`` rather than ``drop`` for TCP by default: AWS's sample sends "TCP RSTs (reject) for egress traffic",
  so a refused client fails over at once instead of waiting for a timeout. UDP, ICMP and other IP protocols are
  always dropped (the sample does the same).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence

from ...catalog.roles import ROLES, Role
from ...catalog.vendor.plan import AllowRule, CidrRule
from .options import (
    MAX_SURICATA_RULE_CHARS,
    ROLE_VARIABLES,
    SID_BASE,
    SID_SPAN,
    AwsFirewallError,
    AwsFirewallOptions,
)
from .spec import SuricataRule

#: Flowbits of the guard. ``pending``: a TLS ClientHello or HTTP request of this flow is not complete yet.
#: ``blocked``: the guard refused the flow (keeps the pending mark from being set on it afterwards).
PENDING_FLOWBIT = "sep_egress_pending"
BLOCKED_FLOWBIT = "sep_egress_blocked"
#: Set by the handshake pass on a connection a role opens, so that only its SYN-ACK passes back.
OUTBOUND_FLOWBIT = "sep_egress_outbound"
#: Set by an address-range pass on a flow a role opens to that range, so that the guard passes its replies.
RANGE_FLOWBIT = "sep_egress_range"
#: Set by the once-per-flow log of an address-range pass (``pass_alert``).
RANGE_LOGGED_FLOWBIT = "sep_egress_range_logged"
#: Set on a flow once its first client data segment has been seen: only that segment can begin the pending state.
STARTED_FLOWBIT = "sep_egress_started"
#: The bound on what a client may send before its ClientHello or request is complete: one TLS record (RFC 8446:
#: a record's plaintext is at most 2^14 bytes) with its 5-byte header, plus the SYN's sequence number (Suricata's
#: ``stream_size`` counts sequence space). A ClientHello larger than one record is refused.
PENDING_CLIENT_BYTES = 16_384 + 5 + 1 + 1
#: The rule variable of the destinations the guard leaves alone (``guard_scope``), set on the guard group.
EXEMPT_VARIABLE = "SEP_EGRESS_EXEMPT"

Draft = tuple[str, str, tuple[Role, ...]]  # identity, text without sid/rev, roles whose variables it uses


def source_expression(roles: Sequence[Role]) -> str:
    variables = [f"${ROLE_VARIABLES[role]}" for role in roles]
    return variables[0] if len(variables) == 1 else "[" + ",".join(variables) + "]"


def ports_expression(ports: Sequence[int]) -> str:
    ordered = sorted(set(ports))
    return str(ordered[0]) if len(ordered) == 1 else "[" + ",".join(str(port) for port in ordered) + "]"


def host_match(rule: AllowRule) -> str:
    # tls.sni is compared case-insensitively (clients may send any case); http.host is already normalised to lower
    # case by Suricata, which rejects nocase on it, and our hosts are lower case. dotprefix + ".domain" + endswith
    # matches the domain and its subdomains but not "otherdomain" (AWS's documented dotprefix idiom).
    if rule.protocol == "tls":
        if rule.match == "suffix":
            return f'tls.sni; dotprefix; content:".{rule.host}"; nocase; endswith;'
        return f'tls.sni; content:"{rule.host}"; startswith; nocase; endswith;'
    if rule.match == "suffix":
        return f'http.host; dotprefix; content:".{rule.host}"; endswith;'
    return f'http.host; content:"{rule.host}"; startswith; endswith;'


def host_label(rule: AllowRule) -> str:
    return f".{rule.host}" if rule.match == "suffix" else rule.host


def allow_rule_draft(rule: AllowRule, roles: tuple[Role, ...], options: AwsFirewallOptions) -> Draft:
    """``pass tls|http`` for one plan rule: its name, port and the roles that need it.

    An application-layer pass has flow scope: once the SNI or Host matches, the rest of the flow (both directions)
    passes. ``alert;`` (``pass_alert``) makes the pass also log, so the alert log names the catalog host a flow
    used (flow logs carry no SNI); AWS's "Allow exact FQDNs with logging" sample does the same.
    """
    identity = f"allow|{rule.protocol}|{rule.match}|{rule.host}|{rule.port}"
    alert = " alert;" if options.pass_alert else ""
    text = (
        f"pass {rule.protocol} {source_expression(roles)} any -> any {rule.port} ({host_match(rule)}{alert} "
        f'msg:"sep-egress allow {host_label(rule)}:{rule.port}/{rule.protocol} for {" ".join(roles)}"; '
        "flow:to_server;"
    )
    return identity, text, roles


def cidr_rule_drafts(rule: CidrRule, roles: tuple[Role, ...], options: AwsFirewallOptions) -> list[Draft]:
    """``pass tcp|udp`` to an address range and port, client to server, in every state, marking the flow
    (``sep_egress_range``) so that the guard passes its replies. A ``tcp``/``udp`` rule acts on the packets it
    matches only, so the SYN-ACK and the replies need a rule of their own under ``aws:drop_strict`` or
    ``aws:drop_established``; matching them here with ``<>`` would also pass connections *from* that range and port
    to the role's machines. ``flow:`` keeps the rule from being an IP-only rule.

    With ``pass_alert`` an ``alert`` rule comes first and logs the flow once: a packet-scope pass with ``alert;``
    would log every client packet of the flow. It marks the flow (``sep_egress_range_logged``) and logs only while
    the mark is not set, as AWS's "alert once per flow" samples do with a flowbit."""
    identity = f"allow|{rule.protocol}|cidr|{rule.cidr}|{rule.port}"
    label = f"{rule.cidr}:{rule.port}/{rule.protocol} for {' '.join(roles)}"
    drafts: list[Draft] = []
    if options.pass_alert:
        drafts.append(
            (
                f"log|{rule.protocol}|cidr|{rule.cidr}|{rule.port}",
                f"alert {rule.protocol} {source_expression(roles)} any -> {rule.cidr} {rule.port} "
                f'(msg:"sep-egress allow {label}"; flow:to_server; flowbits:isnotset,{RANGE_LOGGED_FLOWBIT}; '
                f"flowbits:set,{RANGE_LOGGED_FLOWBIT};",
                roles,
            )
        )
    drafts.append(
        (
            identity,
            f"pass {rule.protocol} {source_expression(roles)} any -> {rule.cidr} {rule.port} "
            f'(msg:"sep-egress allow {label}"; flow:to_server; flowbits:set,{RANGE_FLOWBIT};',
            roles,
        )
    )
    return drafts


def guard_drafts(
    ports_by_role: Mapping[Role, Sequence[int]],
    options: AwsFirewallOptions,
    range_roles: Collection[Role] = (),
    exempt: bool = False,
) -> list[Draft]:
    """The guard, in stages across roles: every pass of a stage before any refusal of a later one, so a source in
    two roles' networks gets the union of what they allow.

    ``ports_by_role`` names, per role with sources, the TCP ports its TLS and HTTP rules use (the handshake and
    the pending passes are limited to them; other ports are refused at the SYN). ``range_roles`` are the roles with
    address-range passes: the replies of the flows those passes marked are passed here. ``exempt``: the refusals
    leave destinations in ``$SEP_EGRESS_EXEMPT`` alone (``guard_scope`` other than ``all``).
    """
    ports = {role: sorted(set(ports_by_role[role])) for role in ROLES if role in ports_by_role}
    guarded = f"!${EXEMPT_VARIABLE}" if exempt else "any"
    return [
        *_opening_passes(ports, range_roles, guarded),
        *_application_refusals(ports, options, guarded),
        *_pending_marks(ports, guarded),
        *_started_marks(ports, guarded),
        *_pending_passes(ports, guarded),
        *_tcp_refusals(ports, options, guarded),
        *[draft for role in ports for draft in non_tcp_drafts(role, options, guarded)],
    ]


def refusal(options: AwsFirewallOptions, action: str) -> str:
    """The action word of a refusing rule: ``alert`` in observe mode (same sid and msg, so the alert log names
    the rule that would have refused), else ``action``."""
    return "alert" if options.enforcement == "observe" else action


def _opening_passes(
    ports: Mapping[Role, Sequence[int]], range_roles: Collection[Role], guarded: str = "any"
) -> list[Draft]:
    """Stage 1, per role: the replies on its address-range flows, and the TCP handshake on its ports (to the
    destinations the guard covers: what it leaves alone gets no pass from it either)."""
    drafts: list[Draft] = []
    for role, role_ports in ports.items():
        source = source_expression((role,))
        if role in range_roles:
            drafts.append(
                (
                    f"range-reply|{role}",
                    f"pass ip any any -> {source} any "
                    f'(msg:"sep-egress {role}: replies on the flows it opened to its address ranges"; '
                    f"flow:to_client; flowbits:isset,{RANGE_FLOWBIT};",
                    (role,),
                )
            )
        if role_ports:
            # Both directions, as AWS's strict-order sample, but only for connections the role opens: the SYN (and
            # the handshake's ACK) from the role marks the flow, and only a marked flow's SYN-ACK passes back, so
            # an inbound SYN from port 443 elsewhere is not passed by these rules. The reply is written from the
            # server's side (``->``) rather than with ``<>``: the same packets, half the capacity.
            drafts.append(
                (
                    f"handshake|{role}",
                    f"pass tcp {source} any -> {guarded} {ports_expression(role_ports)} "
                    f'(msg:"sep-egress {role}: TCP handshake on its ports"; flow:not_established,to_server; '
                    f"flowbits:set,{OUTBOUND_FLOWBIT};",
                    (role,),
                )
            )
            drafts.append(
                (
                    f"handshake-reply|{role}",
                    f"pass tcp {guarded} {ports_expression(role_ports)} -> {source} any "
                    f'(msg:"sep-egress {role}: TCP handshake, the reply to it"; flow:not_established,to_client; '
                    f"flowbits:isset,{OUTBOUND_FLOWBIT};",
                    (role,),
                )
            )
    return drafts


def _application_refusals(
    ports: Mapping[Role, Sequence[int]], options: AwsFirewallOptions, guarded: str
) -> list[Draft]:
    """Stage 2, per role: refuse TLS once its ClientHello is complete, HTTP once its headers are; mark the flow."""
    drafts: list[Draft] = []
    block = refusal(options, options.block_action)
    for role in ports:
        source = source_expression((role,))
        drafts.append(
            (
                f"drop-tls|{role}",
                f"{block} tls {source} any -> {guarded} any "
                f'(msg:"sep-egress {role}: TLS to a name or port it does not need"; ssl_state:client_hello; '
                f'ja4.hash; content:"_"; flowbits:set,{BLOCKED_FLOWBIT}; flow:to_server;',
                (role,),
            )
        )
        drafts.append(
            (
                f"drop-http|{role}",
                f"{block} http {source} any -> {guarded} any "
                f'(msg:"sep-egress {role}: HTTP to a host or port it does not need"; http.start; '
                f'content:"|0d 0a|"; flowbits:set,{BLOCKED_FLOWBIT}; flow:to_server;',
                (role,),
            )
        )
    return drafts


def _pending_marks(ports: Mapping[Role, Sequence[int]], guarded: str = "any") -> list[Draft]:
    """Stage 3, per role with ports: mark the flow pending when its *first* client data begins a TLS ClientHello
    (a handshake record, ``16 03``, whose first message is of type 1) or an HTTP request (Suricata detects HTTP
    from a request method). Payload keywords, on the first segment only: Suricata stops matching them once it sees
    TLS application data, and the ``started`` mark (stage 3b) ends the window after the first data segment."""
    drafts: list[Draft] = []
    for role, role_ports in ports.items():
        if not role_ports:
            continue
        source = source_expression((role,))
        target = f"{guarded} {ports_expression(role_ports)}"
        drafts.append(
            (
                f"pending-tls|{role}",
                f"alert tcp {source} any -> {target} "
                f'(msg:"sep-egress {role}: a ClientHello begins"; flow:established,to_server; '
                f'flowbits:isnotset,{STARTED_FLOWBIT}; content:"|16 03|"; depth:2; content:"|01|"; offset:5; depth:1; '
                f"flowbits:set,{PENDING_FLOWBIT}; noalert;",
                (role,),
            )
        )
        drafts.append(
            (
                f"pending-http|{role}",
                f"alert http {source} any -> {target} "
                f'(msg:"sep-egress {role}: an HTTP request begins"; flow:established,to_server; '
                f"flowbits:isnotset,{STARTED_FLOWBIT}; flowbits:set,{PENDING_FLOWBIT}; noalert;",
                (role,),
            )
        )
    return drafts


def _started_marks(ports: Mapping[Role, Sequence[int]], guarded: str = "any") -> list[Draft]:
    """Stage 3b, per role with ports (after every role's stage 3): the flow's first client data has been seen, so
    nothing later can begin a ClientHello or request."""
    return [
        (
            f"started|{role}",
            f"alert tcp {source_expression((role,))} any -> {guarded} {ports_expression(role_ports)} "
            f'(msg:"sep-egress {role}: first client data seen"; flow:established,to_server; dsize:>0; '
            f"flowbits:set,{STARTED_FLOWBIT}; noalert;",
            (role,),
        )
        for role, role_ports in ports.items()
        if role_ports
    ]


def _pending_passes(ports: Mapping[Role, Sequence[int]], guarded: str = "any") -> list[Draft]:
    """Stage 4, per role with ports: on a pending flow, pass the client's segments while it has sent at most one
    TLS record's worth (``PENDING_CLIENT_BYTES``), and the server's packets without data (its acknowledgements):
    nothing the server sends with data passes before the name is known. Packet scope (``tcp`` with ``flow:``)."""
    drafts: list[Draft] = []
    for role, role_ports in ports.items():
        if not role_ports:
            continue
        source, role_ports_text = source_expression((role,)), ports_expression(role_ports)
        drafts.append(
            (
                f"pending|{role}",
                f"pass tcp {source} any -> {guarded} {role_ports_text} "
                f'(msg:"sep-egress {role}: segments before its ClientHello or request is complete"; '
                f"flowbits:isset,{PENDING_FLOWBIT}; flow:established,to_server; "
                f"stream_size:client,<,{PENDING_CLIENT_BYTES};",
                (role,),
            )
        )
        drafts.append(
            (
                f"pending-ack|{role}",
                f"pass tcp {guarded} {role_ports_text} -> {source} any "
                f'(msg:"sep-egress {role}: server acknowledgements before its ClientHello or request is complete"; '
                f"flowbits:isset,{PENDING_FLOWBIT}; flow:established,to_client; dsize:0;",
                (role,),
            )
        )
    return drafts


def _tcp_refusals(ports: Mapping[Role, Sequence[int]], options: AwsFirewallOptions, guarded: str) -> list[Draft]:
    """Stage 5, per role: refuse whatever else it sends over TCP (other ports, a first segment that begins no
    ClientHello or request, client bytes past the pending bound), and any data a server sends it on a flow no rule
    passed (a server speaking first, or answering before the name is known)."""
    block = refusal(options, options.block_action)
    drafts: list[Draft] = []
    for role in ports:
        source = source_expression((role,))
        drafts.append(
            (
                f"drop-tcp|{role}",
                f"{block} tcp {source} any -> {guarded} any "
                f'(msg:"sep-egress {role}: TCP to a port or protocol it does not need"; flow:to_server;',
                (role,),
            )
        )
        drafts.append(
            (
                f"drop-server-data|{role}",
                f"{block} tcp {guarded} any -> {source} any "
                f'(msg:"sep-egress {role}: server data before a name it may reach"; flow:established,to_client; '
                "dsize:>0;",
                (role,),
            )
        )
    return drafts


def non_tcp_drafts(role: Role, options: AwsFirewallOptions, guarded: str = "any") -> list[Draft]:
    """Drop UDP, ICMP and every other IP protocol but TCP from a role's sources (after every pass rule).

    Why rules and not the policy's default action: AWS's developer guide ("Strict evaluation order") says that for
    UDP "Network Firewall considers the connection established only after seeing traffic from both sides of the
    connection", so ``aws:drop_established`` does not reach the first packet of a UDP flow, nor a flow that gets no
    answer (a DNS query to any resolver, one-way exfiltration). A later revision of the same page adds that for
    UDP and ICMP it "drops all packets"; the two readings disagree, so we do not depend on either.

    ``flow:to_server`` keeps these from being IP-only rules (which Suricata evaluates only on the first packet in
    each direction) and limits them to what the source sends. The three rules are AWS's own "custom default block
    rules" (aws/aws-security-services-best-practices, Network Firewall sample Suricata rules): ``drop udp``,
    ``drop icmp``, and ``drop ip`` with ``ip_proto`` excluding TCP, UDP and ICMP; always ``drop`` (a reject of UDP
    would answer the sender with ICMP, which AWS's egress sample does not do either).
    """
    source = source_expression((role,))
    drop = refusal(options, "drop")
    return [
        (
            f"drop-udp|{role}",
            f'{drop} udp {source} any -> {guarded} any (msg:"sep-egress {role}: UDP it does not need"; flow:to_server;',
            (role,),
        ),
        (
            f"drop-icmp|{role}",
            f"{drop} icmp {source} any -> {guarded} any "
            f'(msg:"sep-egress {role}: ICMP it does not need"; flow:to_server;',
            (role,),
        ),
        (
            f"drop-ip|{role}",
            f"{drop} ip {source} any -> {guarded} any "
            f'(msg:"sep-egress {role}: an IP protocol other than TCP, UDP or ICMP"; '
            "ip_proto:!6; ip_proto:!17; ip_proto:!1; flow:to_server;",
            (role,),
        ),
    ]


def assign_sids(identities: Sequence[str]) -> dict[str, int]:
    """A sid per identity, from a hash of the identity alone, so a line's sid never depends on its neighbours.

    A collision (two identities hashing to one sid) is resolved by rehashing the identity that sorts later with a
    counter, so the result is still a pure function of the set of identities.
    """
    taken: dict[int, str] = {}
    result: dict[str, int] = {}
    for identity in sorted(set(identities)):
        attempt = 0
        while True:
            salted = identity if attempt == 0 else f"{identity}#{attempt}"
            digest = hashlib.sha256(salted.encode()).digest()
            sid = SID_BASE + int.from_bytes(digest[:8], "big") % SID_SPAN
            if sid not in taken:
                break
            attempt += 1
        taken[sid] = identity
        result[identity] = sid
    return result


def finish(
    drafts: Sequence[Draft],
    sids: Mapping[str, int],
    sources: Mapping[Role, tuple[str, ...]],
    variables: Mapping[str, tuple[str, ...]] | None = None,
) -> list[SuricataRule]:
    """Close each draft with its sid and ``rev:1``, and check its length with the variables expanded (the roles'
    and ``variables``, e.g. the guard's exempt destinations)."""
    rules = [
        SuricataRule(identity, sids[identity], f"{text} sid:{sids[identity]}; rev:1;)", roles)
        for identity, text, roles in drafts
    ]
    for rule in rules:
        check_rule_length(rule, sources, variables or {})
    return rules


def _expanded_length(
    text: str,
    roles: Sequence[Role],
    sources: Mapping[Role, tuple[str, ...]],
    variables: Mapping[str, tuple[str, ...]],
) -> int:
    length = len(text)
    expansions = {f"${ROLE_VARIABLES[role]}": sources[role] for role in set(roles)}
    expansions.update({f"${name}": values for name, values in variables.items()})
    for variable, values in expansions.items():
        expansion = "[" + ",".join(values) + "]"
        length += text.count(variable) * (len(expansion) - len(variable))
    return length


def check_rule_length(
    rule: SuricataRule,
    sources: Mapping[Role, tuple[str, ...]],
    variables: Mapping[str, tuple[str, ...]] | None = None,
) -> None:
    length = _expanded_length(rule.text, rule.roles, sources, variables or {})
    if length > MAX_SURICATA_RULE_CHARS:
        widest = max(rule.roles, key=lambda role: len(sources[role]))
        raise AwsFirewallError(
            f"source_cidrs[{widest!r}]: the rule {rule.identity!r} is {length} characters once its source variables "
            f"are expanded; Network Firewall allows {MAX_SURICATA_RULE_CHARS} per rule (variable values count). "
            "Summarise these CIDRs into fewer, wider ranges."
        )


def rule_capacity(rule: SuricataRule) -> int:
    """The capacity one rule uses: 1, or 2 for a bidirectional (``<>``) rule, which Suricata loads as two
    signatures (one per direction; ``suricata -T`` reports one more signature for each ``<>`` rule, which the
    replay suite checks). AWS documents a stateful group's capacity as its number of rules without saying how it
    counts ``<>``; counting the signatures is the reading that cannot under-reserve."""
    head = rule.text.split("(", 1)[0]
    return 2 if " <> " in head else 1


def rules_capacity(rules: Sequence[SuricataRule]) -> int:
    return sum(rule_capacity(rule) for rule in rules)


def tcp_ports_by_role(allow: Sequence[AllowRule], sources: Mapping[Role, tuple[str, ...]]) -> dict[Role, list[int]]:
    """Per role with sources, the ports of its TLS and HTTP plan rules."""
    ports: dict[Role, set[int]] = {role: set() for role in sources}
    for rule in allow:
        for role in rule.roles:
            if role in ports:
                ports[role].add(rule.port)
    return {role: sorted(values) for role, values in ports.items()}
