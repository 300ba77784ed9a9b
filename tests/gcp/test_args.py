"""The arguments of the GCP components (EgressFirewallPolicy, EgressNat, StoragePrivateAccess): every value is checked
before any resource is registered."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sep_egress.compile.gcp.options import (
    GcpSpecError,
)
from sep_egress.errors import SepEgressError
from sep_egress.gcp import EgressFirewallPolicy, EgressNat, StoragePrivateAccess
from sep_egress.mock_engine import MockRun, run_program

from support import CLOUD, NAT_OPTIONS, NETWORK, named

pytestmark = pytest.mark.pulumi


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        ({"secure_tags": {"parent": "projects/p", "network": "p/n\nx"}}, "secure_tags.network"),
        ({"secure_tags": {"parent": "projects/p", "network": "other/vpc"}}, "secure_tags.network"),
        ({"secure_tags": {"parent": "projects/p", "network": "p/n", "key": "Bad Key!"}}, "secure_tags.key"),
        ({"secure_tags": {"parent": "projects/p\n", "network": "p/n"}}, "secure_tags.parent"),
    ],
)
def test_secure_tag_settings_are_checked(args: dict[str, Any], argument: str) -> None:
    from sep_egress.gcp import EgressFirewallPolicy

    given = {
        "selection": {"version": "14.3 RU1", "mode": "cloud"},
        "targets": {"clients": {"secure_tags": ["created:clients"]}},
        "options": {"networks": ["projects/p/global/networks/n"]},
        **args,
    }
    with pytest.raises(GcpSpecError, match=rf"^{re.escape(argument)}"):
        EgressFirewallPolicy.prepare(given)


def test_nat_and_private_access_projects_are_project_ids() -> None:
    from sep_egress.gcp import EgressNat, StoragePrivateAccess

    selection = {"version": "14.3 RU1", "mode": "cloud"}
    nat = {"region": "europe-west1", "network": "projects/p/global/networks/n", "subnetworks": ["s"]}
    with pytest.raises(GcpSpecError, match=r"^options\.project"):
        EgressNat.prepare({"selection": selection, "options": {**nat, "project": "x\ny"}})
    with pytest.raises(GcpSpecError, match=r"^options\.project"):
        StoragePrivateAccess.prepare(
            {"selection": selection, "options": {"networks": ["projects/p/global/networks/n"], "project": "a b"}}
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"options": {"networks": [NETWORK]}},
            r"^selection: the catalog selection \(at least its version\) or a ready plan",
        ),
        ({"selection": {"mode": "cloud"}, "options": {"networks": [NETWORK]}}, r"^selection\.version: is required"),
        ({"selection": {"mode": "cloud", "version": "14.3 RU1"}, "colour": 1}, r"^colour: unknown argument"),
        (
            {"selection": {"mode": "cloud", "version": "14.3 RU1"}, "options": {"networks": [NETWORK]}},
            r"^targets\.clients: ",
        ),
        (
            {
                "selection": {"mode": "cloud", "version": "14.3 RU1"},
                "targets": {"clients": {"secure_tags": ["created:clients"]}},
                "options": {"networks": [NETWORK]},
            },
            r"^targets\.clients: .*'secure_tags' is not given",
        ),
        (
            {
                "selection": {"mode": "cloud", "version": "14.3 RU1"},
                "targets": {"agent": {"secure_tags": ["tagValues/1"]}},
                "options": {"networks": [NETWORK], "skip_roles": ["agent-cloud"]},
            },
            r"^options\.skip_roles\[0\]: 'agent-cloud' runs on the same machines as agent",
        ),
        (
            {
                "selection": {"mode": "cloud", "version": "14.3 RU1"},
                "targets": {"clients": {"secure_tags": ["tagValues/1"]}},
                "options": {
                    "networks": ["projects/one-project/global/networks/a", "projects/two-project/global/networks/b"]
                },
            },
            r"^options\.networks: networks of several projects",
        ),
        (
            {"selection": {"mode": "cloud", "version": "14.3 RU1"}, "options": {"networks": [NETWORK], "zone": "a"}},
            r"^options\.zone: unknown argument",
        ),
    ],
)
def test_invalid_inputs_fail_before_anything_is_registered(args: dict, message: str) -> None:
    record = MockRun()
    with pytest.raises(SepEgressError, match=named("EgressFirewallPolicy", "egress", message)):
        run_program(lambda: EgressFirewallPolicy("egress", args), record=record)
    assert record.resources == []


def test_nat_and_pga_inputs_are_validated() -> None:
    record = MockRun()
    with pytest.raises(GcpSpecError, match=r"^EgressNat 'nat': options\.subnetworks: list the subnets"):
        run_program(
            lambda: EgressNat(
                "nat",
                {
                    "selection": {"mode": "cloud", "version": "14.3 RU1"},
                    "options": {"region": "europe-west1", "network": NETWORK},
                },
            ),
            record=record,
        )
    with pytest.raises(GcpSpecError, match=r"^StoragePrivateAccess 'pga': options\.networks: is required"):
        run_program(
            lambda: StoragePrivateAccess("pga", {"selection": {"mode": "cloud", "version": "14.3 RU1"}, "options": {}}),
            record=record,
        )
    assert record.resources == []


@pytest.mark.parametrize(
    ("component", "args", "message"),
    [
        # "false" is a truthy string: it used to select proxy=True (clear-text LiveUpdate on port 80).
        (
            EgressFirewallPolicy,
            {"selection": {**CLOUD, "proxy": "false"}},
            r"^selection\.proxy: true or false, not 'fa",
        ),
        (
            EgressNat,
            {"selection": {**CLOUD, "proxy": 1}, "options": NAT_OPTIONS},
            r"^selection\.proxy: true or false, not 1",
        ),
        (EgressFirewallPolicy, {"selection": {**CLOUD, "roles": "console"}}, r"^selection\.roles: a list"),
        (EgressFirewallPolicy, {"selection": {**CLOUD, "storage": 3}}, r"^selection\.storage: 3 is not a string"),
        (
            EgressFirewallPolicy,
            {"selection": CLOUD, "options": {"networks": [NETWORK], "default_deny": "false"}},
            r"^options\.default_deny: true or false, not 'false'",
        ),
        (
            EgressFirewallPolicy,
            {"selection": CLOUD, "options": {"networks": [NETWORK], "private_google_access": "no"}},
            r"^options\.private_google_access: true or false, not 'no'",
        ),
        (
            EgressNat,
            {"selection": CLOUD, "options": {**NAT_OPTIONS, "address_count": True}},
            r"^options\.address_count: True is not an integer",
        ),
        (
            EgressNat,
            {"selection": CLOUD, "options": {**NAT_OPTIONS, "rule_numbers": {"corporate-proxy": True}}},
            r"^options\.rule_numbers\.corporate-proxy: True is not an integer",
        ),
        (
            StoragePrivateAccess,
            {"selection": CLOUD, "options": {"networks": [NETWORK], "route_priority": "1000"}},
            r"^options\.route_priority: '1000' is not an integer",
        ),
        (
            EgressFirewallPolicy,
            {
                "selection": CLOUD,
                "secure_tags": {"parent": "projects/p", "network": "p/vpc", "key": ["k"]},
                "options": {"networks": [NETWORK]},
            },
            r"^secure_tags\.key: \['k'\] is not a string",
        ),
    ],
)
def test_booleans_and_integers_are_checked_strictly(component: Any, args: dict, message: str) -> None:
    record = MockRun()
    with pytest.raises(GcpSpecError, match=named(component.__name__, "strict", message)):
        run_program(lambda: component("strict", args), record=record)
    assert record.resources == []


def test_a_project_tag_key_is_refused_for_several_networks() -> None:
    """A GCE_FIREWALL key created for one VPC is usable only there: with two networks the second network's machines
    could carry no value of it, so they would get no allow and no deny. Refused; an organization key is accepted."""
    networks = ["projects/p/global/networks/n", "projects/p/global/networks/m"]
    given = {
        "selection": {"version": "14.3 RU1", "mode": "cloud"},
        "targets": {"clients": {"secure_tags": ["created:clients"]}},
        "options": {"networks": networks},
    }
    with pytest.raises(GcpSpecError, match=r"^secure_tags\.network: a tag key created for one network, but .* 2 net"):
        EgressFirewallPolicy.prepare({**given, "secure_tags": {"parent": "projects/p", "network": "p/n"}})
    spec = EgressFirewallPolicy.prepare({**given, "secure_tags": {"parent": "organizations/1"}})[0]
    assert len(spec.associations) == 2
