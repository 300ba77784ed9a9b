"""The pack judges what a rule means, not how it is spelt: addresses as networks (every spelling Suricata, AWS and
Google accept, variables resolved, IPv4-equivalent IPv6 counted as IPv4) judged by what they cover together,
flowbits trusted only through a chain the pack can see, ``not_established`` only for TCP.

Every Suricata rule fed to the pack here is first loaded by the installed Suricata 7 (``suricata -T``), so no case
is a spelling only our parser reads.
"""

from __future__ import annotations

import ipaddress
import random
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import ROOT

sys.path.insert(0, str(ROOT / "policy"))
sys.path.insert(0, str(ROOT / "tests" / "policy"))

from sep_egress_policy import addresses, checks
from suricata_load import assert_suricata_loads

AWS_RG = checks.AWS_RULE_GROUP
SG = checks.AWS_SECURITY_GROUP
GCP_RULE = "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule"
GCP_WITH_RULES = "gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules"


def group(rules: str, variables: dict[str, list[str]] | None = None, order: str = "STRICT_ORDER") -> dict[str, Any]:
    body: dict[str, Any] = {"rulesSource": {"rulesString": rules}, "statefulRuleOptions": {"ruleOrder": order}}
    if variables:
        body["ruleVariables"] = {
            "ipSets": [{"key": key, "ipSet": {"definitions": value}} for key, value in variables.items()]
        }
    return {"type": "STATEFUL", "capacity": 100.0, "ruleGroup": body}


def flagged(props: dict[str, Any], resource_type: str = AWS_RG) -> list[str]:
    return checks.allow_all_egress(resource_type, props)


# --- the reproducers ---------------------------------------------------------------------------------------------

WIDE_SPELLINGS = [
    "0::/0",
    "0.0.0.0/00",
    "0.0.0.0/0.0.0.0",
    "ANY",
    "Any",
    "[0.0.0.0/1,128.0.0.0/1]",
    "[0.0.0.0/1, [128.0.0.0/2, 192.0.0.0/2]]",
    "::ffff:0:0/96",
    "64:ff9b::/96",
    "!10.0.0.0/8",
    "[!192.168.0.0/16]",
    "[0.0.0.0/0, !1.2.3.4]",
    "$EXTERNAL_NET",
    "$WIDE",
    "[$HALF_A, $HALF_B]",
    "!$HOME_NET",
    "[::/1,8000::/1]",
    "2000::/3",
]
VARIABLES = {"WIDE": ["0.0.0.0/0"], "HALF_A": ["0.0.0.0/1"], "HALF_B": ["128.0.0.0/1"], "HOME_NET": ["10.0.0.0/8"]}


@pytest.mark.real_program
def test_every_spelling_of_everywhere_is_flagged_and_loads_in_suricata() -> None:
    lines = [f'pass tcp any any -> {spelling} 443 (msg:"w"; sid:{n};)' for n, spelling in enumerate(WIDE_SPELLINGS, 1)]
    assert_suricata_loads(lines, {key: value for key, value in VARIABLES.items() if key != "HOME_NET"})
    for line, spelling in zip(lines, WIDE_SPELLINGS, strict=True):
        assert flagged(group(line, VARIABLES)), spelling


@pytest.mark.parametrize(
    "destination",
    ["10.0.0.0/8", "[10.0.0.0/8, 192.168.0.0/16]", "$HOME_NET", "[0.0.0.0/1, !0.0.0.0/2]", "199.36.153.8/30"],
)
def test_bounded_destinations_are_not_flagged(destination: str) -> None:
    assert flagged(group(f"pass tcp any any -> {destination} 443 (sid:1;)", VARIABLES)) == []


def test_an_undefined_variable_is_not_everywhere_but_its_negation_is() -> None:
    assert flagged(group("pass tcp any any -> $SOMEWHERE 443 (sid:1;)")) == []
    assert flagged(group("pass tcp any any -> !$SOMEWHERE 443 (sid:1;)"))


def test_ipv4_equivalent_ipv6_counts_as_ipv4() -> None:
    for text in ("::ffff:0:0/96", "64:ff9b::/96"):
        coverage = addresses.ranges_coverage([text])
        assert coverage.ipv4_addresses == 1 << 32
        assert coverage.everywhere
    half = addresses.ranges_coverage(["::ffff:0.0.0.0/97", "128.0.0.0/1"])
    assert half.ipv4_addresses == 1 << 32


@pytest.mark.real_program
def test_a_flowbit_set_by_an_alert_bounds_nothing() -> None:
    rules = [
        'alert ip any any -> any any (msg:"mark"; flowbits:set,x; noalert; sid:1;)',
        'pass ip any any -> any any (msg:"open"; flowbits:isset,x; sid:2;)',
    ]
    assert_suricata_loads(rules)
    [message] = flagged(group("\n".join(rules)))
    assert "sid 2" in message


@pytest.mark.real_program
@pytest.mark.parametrize(
    ("rules", "why"),
    [
        (
            [
                'alert tls any any -> any any (msg:"m"; flowbits:set,x; noalert; sid:1;)',
                'pass tcp any any -> any any (msg:"p"; flowbits:isset,x; flow:established; sid:2;)',
            ],
            "no refusal of TLS comes before the gated pass",
        ),
        (
            [
                'pass tcp any any -> any any (msg:"p"; flowbits:isset,unseen; sid:2;)',
            ],
            "the bit is set where the pack cannot see",
        ),
        (
            [
                'pass tls any any -> any any (msg:"s"; flowbits:set,x; flow:to_server; sid:1;)',
                'pass tcp any any -> any any (msg:"p"; flowbits:isset,x; sid:2;)',
            ],
            "the setter passes every TLS flow itself",
        ),
        (
            [
                'drop tls any any -> any any (msg:"d"; ssl_state:client_hello; ja4.hash; content:"_"; sid:3;)',
                'alert tls any any -> any any (msg:"m"; flowbits:set,x; noalert; sid:1;)',
                'pass ip any any -> any any (msg:"p"; flowbits:isset,x; sid:2;)',
            ],
            "a gated ip pass is not a packet-by-packet tcp pass",
        ),
    ],
)
def test_untrusted_flowbit_chains_are_flagged(rules: list[str], why: str) -> None:
    assert_suricata_loads(rules)
    assert flagged(group("\n".join(rules))), why


GUARD = [
    'reject tls $SRC any -> any any (msg:"d"; ssl_state:client_hello; ja4.hash; content:"_"; flowbits:set,blocked; '
    "flow:to_server; sid:1;)",
    'alert tls $SRC any -> any any (msg:"m"; flowbits:isnotset,blocked; flowbits:set,pending; noalert; '
    "flow:to_server; sid:2;)",
    'pass tcp $SRC any <> any 443 (msg:"p"; flowbits:isset,pending; flow:established; sid:3;)',
    'pass tcp $SRC any -> 10.1.0.0/16 8443 (msg:"r"; flow:to_server; flowbits:set,range; sid:4;)',
    'pass tcp $SRC any <> any any (msg:"rr"; flowbits:isset,range; sid:5;)',
]


@pytest.mark.real_program
def test_the_guard_chain_is_trusted_only_in_strict_order() -> None:
    assert_suricata_loads(GUARD, {"SRC": ["10.10.0.0/16"]})
    assert flagged(group("\n".join(GUARD), {"SRC": ["10.10.0.0/16"]})) == []
    under_action_order = flagged(group("\n".join(GUARD), {"SRC": ["10.10.0.0/16"]}, order="DEFAULT_ACTION_ORDER"))
    assert [message.split(":")[0] for message in under_action_order] == [
        "ruleGroup.rulesSource.rulesString line 3 (sid 3)"
    ]


@pytest.mark.real_program
@pytest.mark.parametrize("protocol", ["udp", "ip", "icmp", "tls"])
def test_not_established_bounds_only_tcp(protocol: str) -> None:
    rule = f'pass {protocol} any any -> any any (msg:"x"; flow:not_established; sid:1;)'
    assert_suricata_loads([rule])
    assert flagged(group(rule))
    assert flagged(group(rule.replace(f"pass {protocol}", "pass tcp"))) == []


def test_security_group_split_ranges_are_flagged() -> None:
    split = {"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"]}]}
    assert flagged(split, SG)
    apart = {
        "egress": [
            {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": [quarter]}
            for quarter in ("0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2")
        ]
    }
    [message] = flagged(apart, SG)
    assert "(together)" in message
    assert flagged({"egress": [{"protocol": "-1", "cidrBlocks": [], "ipv6CidrBlocks": ["::ffff:0:0/96"]}]}, SG)


def test_gcp_split_destination_ranges_are_flagged() -> None:
    rule = {
        "action": "allow",
        "direction": "EGRESS",
        "priority": 1000.0,
        "match": {"destIpRanges": ["0.0.0.0/1", "128.0.0.0/1"], "layer4Configs": [{"ipProtocol": "all"}]},
    }
    assert flagged(rule, GCP_RULE)
    halves = [{**rule, "match": {**rule["match"], "destIpRanges": [half]}} for half in ("0.0.0.0/1", "128.0.0.0/1")]
    assert flagged({"rules": halves}, GCP_WITH_RULES)


def test_a_wide_declared_range_is_an_advisory() -> None:
    warnings = checks.wider_than_vendor(AWS_RG, group("pass tcp any any -> 10.0.0.0/7 443 (sid:1;)"))
    assert any("more than a /8" in warning for warning in warnings)


# --- the property: equivalent spellings of "everywhere" ----------------------------------------------------------


def _partition(rng: random.Random, splits: int) -> list[ipaddress.IPv4Network]:
    """A random partition of IPv4 into CIDRs (split a random piece in two, ``splits`` times)."""
    pieces = [ipaddress.IPv4Network("0.0.0.0/0")]
    for _ in range(splits):
        index = rng.randrange(len(pieces))
        if pieces[index].prefixlen >= 24:
            continue
        pieces[index : index + 1] = list(pieces[index].subnets())
    return pieces


def _spell(network: ipaddress.IPv4Network, style: int) -> str:
    """One IPv4 network in a spelling Suricata accepts."""
    address, prefix = network.network_address, network.prefixlen
    if style == 0:
        return str(network)
    if style == 1:
        return f"{address}/{prefix:02d}"
    if style == 2:
        return f"{address}/{network.netmask}"
    if style == 3:
        return f"::ffff:{address}/{96 + prefix}"
    if style == 4:
        return f"[{network}]"
    return f"{address}-{network.broadcast_address}"


@st.composite
def wide_destinations(draw: st.DrawFn) -> tuple[str, dict[str, list[str]]]:
    """A destination covering every IPv4 address, spelled one of many ways, and the variables it uses."""
    seed = draw(st.integers(min_value=0, max_value=2**32))
    rng = random.Random(seed)
    kind = draw(st.sampled_from(["partition", "negation", "word", "ipv6", "variable"]))
    variables: dict[str, list[str]] = {}
    if kind == "word":
        return draw(st.sampled_from(["any", "ANY", "Any", "[any]", "0.0.0.0/0.0.0.0", "0::/0", "0.0.0.0/000"])), {}
    if kind == "ipv6":
        return draw(st.sampled_from(["::/0", "[::/1,8000::/1]", "::ffff:0:0/96", "64:ff9b::/96", "2000::/3"])), {}
    if kind == "negation":
        small = _partition(rng, draw(st.integers(min_value=8, max_value=30)))
        hole = rng.choice([piece for piece in small if piece.prefixlen >= 2] or [small[0]])
        return draw(st.sampled_from([f"!{hole}", f"[!{hole}]", f"[0.0.0.0/0,!{hole}]"])), {}
    pieces = _partition(rng, draw(st.integers(min_value=1, max_value=12)))
    spelled = [_spell(piece, rng.randrange(6)) for piece in pieces]
    rng.shuffle(spelled)
    if kind == "variable":
        cut = rng.randrange(1, len(spelled) + 1)
        variables["WIDE_PART"] = spelled[:cut]
        spelled = ["$WIDE_PART", *spelled[cut:]]
    if len(spelled) == 1:
        return spelled[0], variables
    # Nest a random tail of the list one level deeper.
    nest = rng.randrange(len(spelled))
    if 0 < nest < len(spelled) - 1:
        spelled = [*spelled[:nest], "[" + ",".join(spelled[nest:]) + "]"]
    return "[" + ",".join(spelled) + "]", variables


@pytest.mark.property
@pytest.mark.real_program
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wide_destinations(), st.sampled_from(["tcp", "ip", "udp", "tls"]))
def test_every_equivalent_spelling_of_a_wide_rule_loads_and_is_flagged(
    destination: tuple[str, dict[str, list[str]]], protocol: str
) -> None:
    expression, variables = destination
    rule = f'pass {protocol} any any -> {expression} any (msg:"wide"; sid:1;)'
    assert_suricata_loads([rule], variables)
    assert addresses.suricata_coverage(expression, variables).everywhere, expression
    assert flagged(group(rule, variables)), rule


@pytest.mark.property
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=1, max_value=14))
def test_plain_ranges_covering_everything_together_are_flagged(seed: int, splits: int) -> None:
    pieces = [str(piece) for piece in _partition(random.Random(seed), splits)]
    assert flagged({"egress": [{"protocol": "-1", "cidrBlocks": pieces}]}, SG), pieces
    rule = {"action": "allow", "direction": "EGRESS", "match": {"destIpRanges": pieces}}
    assert flagged(rule, GCP_RULE), pieces
    # Less than half of IPv4 is not everywhere: the upper half without one of its pieces.
    upper = [piece for piece in pieces if ipaddress.ip_network(piece).subnet_of(ipaddress.IPv4Network("128.0.0.0/1"))]
    assert not addresses.ranges_coverage(upper[1:]).everywhere
