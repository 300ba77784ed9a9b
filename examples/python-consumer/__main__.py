"""A stack of another team that reuses sep-egress: select from the catalog, then deploy the allowlist with the
library's AWS component, wired to the VPC this stack creates.

Run it like any Python Pulumi program (``pulumi preview`` in this folder, with ``pulumi-aws`` configured), or
offline: ``sep-egress preview --project-dir examples/python-consumer --stack dev``. Its settings live in its own
namespace (``sep-egress-python-consumer:version``, ...), declared in its Pulumi.yaml.
"""

import pulumi
import pulumi_aws as aws

from sep_egress.aws import (
    FirewallSettings,
    LoggingSettings,
    NetworkFirewallAllowlist,
    NetworkFirewallAllowlistArgs,
    compile_args,
)
from sep_egress.catalog import load_catalog, select
from sep_egress.errors import SepEgressError

config = pulumi.Config()
version = config.get("version") or "14.3 RU1"
agent_cidrs = config.get_object("agentCidrs") or ["10.10.0.0/16"]
manager_cidrs = config.get_object("managerCidrs") or ["10.20.0.10/32"]

# The plan is plain data: review it, export it, or hand it to several components so they agree on one selection.
# Every user mistake is found before any resource is registered (compile_args validates and compiles without
# registering); a SepEgressError is a one-line message naming the input: show it without a traceback.
sources = {"agent": agent_cidrs, "sepm": manager_cidrs}
try:
    plan = select(load_catalog(), mode="on-prem", version=version)
    compile_args(NetworkFirewallAllowlistArgs(plan=plan, source_cidrs=sources))
except SepEgressError as error:
    raise pulumi.RunError(str(error)) from None

# The stack's own network: the firewall goes into it, so its ids are pulumi.Outputs passed straight through.
vpc = aws.ec2.Vpc("inspection", cidr_block="10.0.0.0/16")
firewall_subnet = aws.ec2.Subnet("firewall", vpc_id=vpc.id, cidr_block="10.0.1.0/28")
alerts = aws.cloudwatch.LogGroup("firewall-alerts", name="/sep-egress/python-consumer/alerts", retention_in_days=90)
# Either of Pulumi's call styles: keyword arguments, as here, or one args object,
# NetworkFirewallAllowlist("sep-egress", NetworkFirewallAllowlistArgs(plan=plan, ...), opts). A mistake names the
# component and the argument: "NetworkFirewallAllowlist 'sep-egress': firewall.subnet_ids[1]: ...".
allowlist = NetworkFirewallAllowlist(
    "sep-egress",
    plan=plan,
    source_cidrs=sources,
    firewall=FirewallSettings(vpc_id=vpc.id, subnet_ids=[firewall_subnet.id]),
    # The stack owns its log group: the component takes it by name instead of creating one.
    logging=LoggingSettings(alert_destination=alerts.name, create_log_groups=False),
)

pulumi.export("catalogVersion", plan.catalog_version)
pulumi.export("allowedHosts", list(plan.hosts))
pulumi.export("tlsInspectionBypass", list(plan.tls_inspection_bypass))
pulumi.export("ruleGroupArns", allowlist.rule_group_arns)
pulumi.export("firewallPolicyArn", allowlist.firewall_policy_arn)
pulumi.export("firewallArn", allowlist.firewall_arn)
