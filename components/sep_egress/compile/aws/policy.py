"""AWS Network Firewall compiler, the last step: the policy.

``compile_network_firewall`` validates its inputs (the per-role sources), has ``groups`` build the rule groups of
the chosen style, fits them into the policy's capacity budget and puts them together, with the notes and the
policy's engine settings, into an ``AwsEgressSpec``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

from ...catalog import coverage
from ...catalog.hosts import HostError, parse_cidr
from ...catalog.roles import ROLES, Role
from ...catalog.vendor.plan import AllowRule, CidrRule, EgressPlan
from .groups import check_policy_limits, domain_list_groups, reserve, suricata_groups
from .options import PRIVATE_RANGES, AwsFirewallError, AwsFirewallOptions
from .rules import host_label
from .spec import AwsEgressSpec


def compile_network_firewall(
    plan: EgressPlan,
    source_cidrs: Mapping[str, Sequence[str]],
    options: AwsFirewallOptions | None = None,
) -> AwsEgressSpec:
    """Compile ``plan`` into Network Firewall rule groups for the given per-role source CIDRs.

    ``source_cidrs`` maps a role (``agent``, ``sepm``, ``console``, ...) to the networks its machines use: the SEP
    clients' subnets, the SEPM server, the administrators' networks. A plan role left out gets no rule (and is
    reported in ``skipped_roles``). ``0.0.0.0/0`` and ``::/0`` are refused unless ``options.allow_any_source``.

    Raises ``AwsFirewallError`` naming the argument when an input is invalid or the plan cannot fit the limits.
    """
    options = options or AwsFirewallOptions()
    options.validate()
    sources = _validate_sources(plan, source_cidrs, options)
    skipped = tuple(role for role in plan.roles if role not in sources)
    if not sources:
        raise AwsFirewallError(
            "source_cidrs: no plan role has a source CIDR, so nothing would be allowed; give CIDRs for at least one "
            f"of {', '.join(plan.roles)}"
        )
    allow = [rule for rule in plan.allow if any(role in sources for role in rule.roles)]
    cidrs = [rule for rule in plan.cidrs if any(role in sources for role in rule.roles)]
    if not allow and not cidrs:
        raise AwsFirewallError(
            f"source_cidrs: the roles given sources ({', '.join(sources)}) need nothing in this plan; "
            f"the plan's rules are for {', '.join(plan.roles)}"
        )
    home_net = _sorted_cidrs({cidr for values in sources.values() for cidr in values})
    exempt = _exempt(options, home_net)
    if options.style == "suricata":
        groups, notes = suricata_groups(allow, cidrs, sources, options, exempt)
    else:
        groups, notes = domain_list_groups(allow, cidrs, sources, home_net, options, exempt)
    groups = reserve(groups, options)
    check_policy_limits(groups, options)
    if skipped:
        notes = (
            f"Roles {', '.join(skipped)} have no source CIDRs: no rule allows anything for them. Machines outside "
            "every declared source get only the policy's default actions, which drop TCP once established (or "
            "not at all with default_actions 'none') but not the first packet of a UDP (or other non-TCP) flow: "
            "give these roles source CIDRs, or keep their traffic off this firewall's path.",
            *notes,
        )
    notes = (*notes, *_scope_notes(sources, options, exempt), *_ipv6_notes(sources))
    if options.enforcement == "observe":
        notes = (
            *notes,
            "enforcement 'observe': nothing is refused. The guard's refusals are alert rules (same sids and "
            "messages: the alert log names the rule that would have refused each flow) and the policy's default "
            f"actions are only {', '.join(options.default_action_set()) or 'none'}. Switching to 'enforce' changes "
            "only these actions.",
        )
    if options.default_actions == "none":
        notes = (
            *notes,
            "default_actions 'none': the policy drops nothing on its own; traffic from sources outside "
            "source_cidrs passes unless another rule group refuses it.",
        )
    return AwsEgressSpec(
        style=options.style,
        groups=tuple(groups),
        home_net=home_net,
        source_cidrs={role: sources[role] for role in plan.roles if role in sources},
        allowed_by_role=_allowed_by_role(allow, cidrs, sources, plan.roles),
        skipped_roles=skipped,
        tls_inspection_bypass=plan.tls_inspection_bypass,
        notes=notes,
        default_actions=options.default_action_set(),
        stream_exception_policy=options.stream_exception_policy,
        tcp_idle_timeout=options.tcp_idle_timeout,
    )


# --- inputs ----------------------------------------------------------------------------------------------------


def _validate_sources(
    plan: EgressPlan, source_cidrs: Mapping[str, Sequence[str]], options: AwsFirewallOptions
) -> dict[Role, tuple[str, ...]]:
    if not isinstance(source_cidrs, Mapping):
        raise AwsFirewallError("source_cidrs: a mapping of role to a list of CIDRs, e.g. {'agent': ['10.1.0.0/16']}")
    result: dict[Role, tuple[str, ...]] = {}
    for role_name, values in source_cidrs.items():
        where = f"source_cidrs[{role_name!r}]"
        if role_name not in ROLES:
            raise AwsFirewallError(f"{where}: unknown role; roles are {', '.join(ROLES)}")
        role: Role = role_name
        if role not in plan.roles:
            raise AwsFirewallError(
                f"{where}: the plan has no role {role} (its roles: {', '.join(plan.roles)}); "
                "add the role to the selection or remove these sources"
            )
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise AwsFirewallError(f"{where}: a list of CIDRs such as ['10.1.0.0/16'], not {type(values).__name__}")
        networks: set[str] = set()
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise AwsFirewallError(f"{where}[{index}]: a CIDR is text such as '10.1.0.0/16'")
            try:
                network = parse_cidr(value)  # written exactly: no spaces, no IPv6 zone id
            except HostError as exc:
                raise AwsFirewallError(f"{where}[{index}]: {exc}") from None
            if network.prefixlen == 0 and not options.allow_any_source:
                raise AwsFirewallError(
                    f"{where}[{index}]: {value!r} is every address; sep-egress never allows from everywhere unless "
                    "allow_any_source is set"
                )
            networks.add(str(network))
        covered = coverage.measure(networks)
        if covered.covers_everything and not options.allow_any_source:
            raise AwsFirewallError(
                f"{where}: these CIDRs cover every address together ({covered.describe()}); sep-egress never "
                "allows from everywhere unless allow_any_source is set"
            )
        if networks:
            result[role] = _sorted_cidrs(networks)
    return result


def _exempt(options: AwsFirewallOptions, home_net: tuple[str, ...]) -> tuple[str, ...]:
    """The destinations the guard's refusals leave alone (``guard_scope``), as one sorted set of networks."""
    if options.guard_scope == "all":
        return ()
    if options.guard_scope == "external":
        return _collapse(set(PRIVATE_RANGES) | set(home_net))
    networks: set[str] = set()
    for index, value in enumerate(options.guard_exempt_cidrs):
        if not isinstance(value, str):
            raise AwsFirewallError(f"guard_exempt_cidrs[{index}]: a CIDR is text such as '10.40.0.0/16'")
        try:
            network = parse_cidr(value)
        except HostError as exc:
            raise AwsFirewallError(f"guard_exempt_cidrs[{index}]: {exc}") from None
        if network.prefixlen == 0:
            raise AwsFirewallError(
                f"guard_exempt_cidrs[{index}]: {value!r} is every address: the guard would refuse nothing"
            )
        networks.add(str(network))
    return _collapse(networks)


def _collapse(values: set[str]) -> tuple[str, ...]:
    """Networks merged where one holds another (so the variable says what it covers once)."""
    networks = [ipaddress.ip_network(value) for value in values]
    v4 = ipaddress.collapse_addresses([network for network in networks if isinstance(network, ipaddress.IPv4Network)])
    v6 = ipaddress.collapse_addresses([network for network in networks if isinstance(network, ipaddress.IPv6Network)])
    return _sorted_cidrs({str(network) for network in (*v4, *v6)})


def _scope_notes(
    sources: Mapping[Role, tuple[str, ...]], options: AwsFirewallOptions, exempt: tuple[str, ...]
) -> list[str]:
    """One note per distinct source set: what the guard refuses from it."""
    by_sources: dict[tuple[str, ...], list[Role]] = {}
    for role, values in sources.items():
        by_sources.setdefault(values, []).append(role)
    if options.guard_scope == "all":
        where = "to every destination (east-west included: DNS to domain controllers, Active Directory, Group "
        "Update Providers, administrators' other traffic, when the firewall inspects it)"
        where = (
            "to every destination (east-west included: DNS to domain controllers, Active Directory, Group Update "
            "Providers, administrators' other traffic, wherever this firewall inspects it)"
        )
    elif options.guard_scope == "external":
        where = (
            f"to destinations outside HOME_NET and the private ranges ({', '.join(exempt)}); traffic to those is "
            "left to later rule groups and the policy's default actions"
        )
    else:
        where = (
            f"to every destination except {', '.join(exempt)}; traffic to those is left to later rule groups and "
            "the policy's default actions"
        )
    verb = "logs (observe mode) what it would refuse" if options.enforcement == "observe" else "refuses"
    return [
        f"Guard scope {options.guard_scope} for {' '.join(roles)} ({', '.join(values)}): the guard {verb} every "
        f"TCP, UDP, ICMP and other IP flow not allowed above {where}."
        for values, roles in by_sources.items()
    ]


def _ipv6_notes(sources: Mapping[Role, tuple[str, ...]]) -> list[str]:
    roles = [role for role, values in sources.items() if all(":" not in value for value in values)]
    if not roles:
        return []
    return [
        f"IPv4 only: every source of {', '.join(roles)} is IPv4, so in a dual-stack VPC these machines' IPv6 flows "
        "match no rule here and get only the policy's default actions (an established IPv6 connection is dropped "
        "without a reset, and its first packets pass). Add the subnets' IPv6 CIDRs to source_cidrs."
    ]


def _sorted_cidrs(values: set[str]) -> tuple[str, ...]:
    networks = [ipaddress.ip_network(value) for value in values]
    return tuple(
        str(network) for network in sorted(networks, key=lambda n: (n.version, int(n.network_address), n.prefixlen))
    )


# --- shared -----------------------------------------------------------------------------------------------------


def _allowed_by_role(
    allow: Sequence[AllowRule],
    cidrs: Sequence[CidrRule],
    sources: Mapping[Role, tuple[str, ...]],
    roles: Sequence[Role],
) -> dict[Role, tuple[str, ...]]:
    result: dict[Role, tuple[str, ...]] = {}
    for role in roles:
        if role not in sources:
            continue
        hosts = [f"{host_label(rule)}:{rule.port}/{rule.protocol}" for rule in allow if role in rule.roles]
        ranges = [f"{rule.cidr}:{rule.port}/{rule.protocol}" for rule in cidrs if role in rule.roles]
        result[role] = tuple(hosts + ranges)
    return result
