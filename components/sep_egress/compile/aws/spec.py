"""AWS Network Firewall compiler: what it produces, shaped like the AWS API request bodies.

``RuleGroupSpec`` is ``CreateRuleGroup``'s body, ``AwsEgressSpec.firewall_policy`` ``CreateFirewallPolicy``'s
``FirewallPolicy``, so both can be checked against botocore's service model and mapped one to one onto Pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ...catalog.roles import Role
from .options import STATEFUL_DEFAULT_ACTIONS, STATELESS_DEFAULT_ACTIONS, Style


@dataclass(frozen=True, slots=True)
class SuricataRule:
    """One line of a rules string; ``identity`` is what the sid is derived from (never the line's position)."""

    identity: str
    sid: int
    text: str
    roles: tuple[Role, ...]


@dataclass(frozen=True, slots=True)
class RuleGroupSpec:
    """One stateful rule group, as ``CreateRuleGroup`` takes it.

    ``key`` is the group's stable logical name (``allow-1``, ``guard``, ``tls-domains``, ...); ``name`` the
    physical name, whose suffix hashes the inputs that force a replacement (capacity, type, rule order), so a
    replacement always gets a new name and can be created before the old group is deleted.
    """

    key: str
    name: str
    description: str
    priority: int
    capacity: int
    used_capacity: int
    rules_bytes: int
    rule_group: Mapping[str, Any]
    hosts: tuple[str, ...] = ()

    @property
    def kind(self) -> Literal["rules-string", "domain-list"]:
        return "domain-list" if "RulesSourceList" in self.rule_group["RulesSource"] else "rules-string"

    @property
    def rules_string(self) -> str:
        return str(self.rule_group["RulesSource"].get("RulesString", ""))

    def create_request(self, tags: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The ``CreateRuleGroup`` request body."""
        request: dict[str, Any] = {
            "RuleGroupName": self.name,
            "Type": "STATEFUL",
            "Capacity": self.capacity,
            "Description": self.description,
            "RuleGroup": plain(self.rule_group),
        }
        if tags:
            request["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
        return request


@dataclass(frozen=True, slots=True)
class AwsEgressSpec:
    """Everything the Pulumi layer needs: rule groups in priority order, the policy's HOME_NET, and facts to report.

    ``allowed_by_role`` lists, per role that has sources, what it may reach (``host:port/tls``, ``.domain:port/tls``
    for a domain and its subdomains, ``cidr:port/tcp``). ``skipped_roles`` are plan roles given no source CIDRs:
    no rule allows anything for them, and no rule drops anything for them either (see ``notes``).
    """

    style: Style
    groups: tuple[RuleGroupSpec, ...]
    home_net: tuple[str, ...]
    source_cidrs: Mapping[Role, tuple[str, ...]]
    allowed_by_role: Mapping[Role, tuple[str, ...]]
    skipped_roles: tuple[Role, ...]
    tls_inspection_bypass: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    default_actions: tuple[str, ...] = STATEFUL_DEFAULT_ACTIONS
    stream_exception_policy: str = "REJECT"
    tcp_idle_timeout: int = 350

    @property
    def capacity(self) -> int:
        return sum(group.capacity for group in self.groups)

    @property
    def used_capacity(self) -> int:
        return sum(group.used_capacity for group in self.groups)

    def group(self, key: str) -> RuleGroupSpec:
        for group in self.groups:
            if group.key == key:
                return group
        raise KeyError(key)

    def rule_group_references(self, arns: Mapping[str, str]) -> list[dict[str, Any]]:
        """``StatefulRuleGroupReferences`` for a policy, from each group key's ARN."""
        missing = [group.key for group in self.groups if group.key not in arns]
        if missing:
            raise KeyError(f"no ARN for rule groups {', '.join(missing)}")
        return [{"ResourceArn": arns[group.key], "Priority": group.priority} for group in self.groups]

    def firewall_policy(self, arns: Mapping[str, str]) -> dict[str, Any]:
        """The ``FirewallPolicy`` of ``CreateFirewallPolicy``: strict order, the chosen default actions, the stream
        exception policy and TCP idle timeout.

        HOME_NET is set at policy level to the declared sources so that every group (ours, managed ones) agrees on
        what "home" is; without it Network Firewall uses the inspection VPC's CIDR. ``REJECT`` as the stream
        exception policy: a flow the firewall lost track of (failover, asymmetric routing) gets a TCP reset and
        reconnects, and the new connection is judged by the rules with full context; ``DROP`` (AWS's default)
        breaks it silently and ``CONTINUE`` judges it without application-layer context
        (aws-security-services-best-practices, firewall-policy-configuration; botocore's StatefulEngineOptions).
        """
        return {
            "StatelessDefaultActions": list(STATELESS_DEFAULT_ACTIONS),
            "StatelessFragmentDefaultActions": list(STATELESS_DEFAULT_ACTIONS),
            "StatefulRuleGroupReferences": self.rule_group_references(arns),
            "StatefulDefaultActions": list(self.default_actions),
            "StatefulEngineOptions": {
                "RuleOrder": "STRICT_ORDER",
                "StreamExceptionPolicy": self.stream_exception_policy,
                "FlowTimeouts": {"TcpIdleTimeoutSeconds": self.tcp_idle_timeout},
            },
            "PolicyVariables": {"RuleVariables": {"HOME_NET": {"Definition": list(self.home_net)}}},
        }

    def policy_request(self, name: str, arns: Mapping[str, str]) -> dict[str, Any]:
        """The ``CreateFirewallPolicy`` request body."""
        return {"FirewallPolicyName": name, "FirewallPolicy": self.firewall_policy(arns)}

    def fms_managed_service_data(self, arns: Mapping[str, str], default_actions: Sequence[str]) -> dict[str, Any]:
        """Firewall Manager's ``ManagedServiceData`` for a distributed ``NETWORK_FIREWALL`` policy.

        ``default_actions`` is explicit: they apply to *every* in-scope VPC, while the groups' rules only cover the
        sources declared here (docs/aws.md, "Firewall Manager blast radius").

        Shape from the example in the FMS API model (``SecurityServicePolicyData.ManagedServiceData``, distributed
        deployment model). Route management stays ``OFF``: Firewall Manager creates the endpoints, and routing
        traffic through them is each VPC owner's reviewed change.
        """
        return {
            "type": "NETWORK_FIREWALL",
            "networkFirewallStatelessRuleGroupReferences": [],
            "networkFirewallStatelessDefaultActions": list(STATELESS_DEFAULT_ACTIONS),
            "networkFirewallStatelessFragmentDefaultActions": list(STATELESS_DEFAULT_ACTIONS),
            "networkFirewallStatelessCustomActions": [],
            "networkFirewallStatefulRuleGroupReferences": [
                {"resourceARN": arns[group.key], "priority": group.priority} for group in self.groups
            ],
            "networkFirewallStatefulDefaultActions": list(default_actions),
            "networkFirewallStatefulEngineOptions": {
                "ruleOrder": "STRICT_ORDER",
                "streamExceptionPolicy": self.stream_exception_policy,
            },
            "networkFirewallOrchestrationConfig": {
                "singleFirewallEndpointPerVPC": False,
                "allowedIPV4CidrList": [],
                "routeManagementAction": "OFF",
            },
        }


def plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists (what botocore and JSON expect)."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value
