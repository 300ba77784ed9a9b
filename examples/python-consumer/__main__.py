"""A stack of another team that reuses sep-egress: select from the catalog, then deploy the allowlist with the
library's AWS component, next to the stack's own resources.

Run it like any Python Pulumi program (``pulumi preview`` in this folder, with ``pulumi-aws`` configured); the
project's tests run it under Pulumi's mock engine so it keeps working.
"""

import pulumi

from sep_egress.aws import NetworkFirewallAllowlist, NetworkFirewallAllowlistArgs
from sep_egress.catalog import load_catalog, select
from sep_egress.errors import SepEgressError

config = pulumi.Config()
version = config.get("version") or "14.3 RU1"
agent_cidrs = config.get_object("agentCidrs") or ["10.10.0.0/16"]
manager_cidrs = config.get_object("managerCidrs") or ["10.20.0.10/32"]

# The plan is plain data: review it, export it, or hand it to several components so they agree on one selection.
# A SepEgressError is a user mistake with a one-line message naming the input: show it without a traceback.
try:
    plan = select(load_catalog(), mode="on-prem", version=version)
    allowlist = NetworkFirewallAllowlist(
        "sep-egress",
        NetworkFirewallAllowlistArgs(plan=plan, source_cidrs={"agent": agent_cidrs, "sepm": manager_cidrs}),
    )
except SepEgressError as error:
    raise pulumi.RunError(str(error)) from None

pulumi.export("catalogVersion", plan.catalog_version)
pulumi.export("allowedHosts", list(plan.hosts))
pulumi.export("tlsInspectionBypass", list(plan.tls_inspection_bypass))
pulumi.export("ruleGroupArns", allowlist.rule_group_arns)
pulumi.export("firewallPolicyArn", allowlist.firewall_policy_arn)
