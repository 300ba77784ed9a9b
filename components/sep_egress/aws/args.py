"""The arguments of ``NetworkFirewallAllowlist``: strict pydantic models (``NetworkFirewallAllowlistArgs`` and the
settings it nests), whose mistakes raise ``AwsFirewallError`` naming the argument."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ..arguments import (
    ComponentArgs,
    ErrorFactory,
    InputStr,
    InputStrItems,
    InputStrList,
    InputStrMap,
    SelectionArgs,
)
from ..catalog.vendor.plan import EgressPlan
from ..compile.aws import (
    MAX_RULES_STRING_BYTES,
    AwsFirewallError,
    BlockAction,
    DefaultActions,
    Enforcement,
    GuardScope,
    StreamExceptionPolicy,
)

LogDestinationType = Literal["CloudWatchLogs", "S3", "KinesisDataFirehose"]
#: The retention values CloudWatch Logs accepts (botocore's logs model, PutRetentionPolicy.retentionInDays), and 0
#: for "never expire" (pulumi-aws's LogGroup.retention_in_days).
RETENTION_DAYS = (
    0,
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
#: A year: alert logs are the record of what the allowlist refused, read back when a SEP feature breaks months later.
DEFAULT_RETENTION_DAYS = 365
#: Firewall Manager's model lists aws:drop_strict, aws:drop_established and their alert twins only (botocore's fms
#: NetworkFirewallPolicyDescription.StatefulDefaultActions), not the application-layer variants.
FmsDefaultActions = Literal["drop_established", "drop_strict", "none"]
DistributionMethod = Literal["none", "firewall-manager", "ram"]


def aws_error(where: str, message: str) -> AwsFirewallError:
    return AwsFirewallError(f"{where}: {message}")


class AwsArgs(ComponentArgs):
    """Args of the AWS component: mistakes raise ``AwsFirewallError``."""

    error: ClassVar[ErrorFactory] = staticmethod(aws_error)


class FirewallSettings(AwsArgs):
    """Create the ``aws.networkfirewall.Firewall`` itself, with one endpoint per subnet (one subnet per AZ)."""

    vpc_id: InputStr = Field(description="The VPC of the firewall (vpc-...), or an Output of one.")
    subnet_ids: InputStrList = Field(
        description="The firewall subnets (subnet-...), one per Availability Zone; items or the list may be Outputs."
    )
    name: InputStr | None = Field(default=None, description="Firewall name; default <name_prefix>-firewall.")
    delete_protection: bool = Field(default=True, description="Refuse deletion of the firewall.")


class LoggingSettings(AwsArgs):
    """Alert (and optionally flow) logs of the firewall, to CloudWatch Logs, S3 or Amazon Data Firehose.

    CloudWatch Logs (the default): the component creates the log groups (``create_log_groups``), named
    ``/aws/vendedlogs/<name_prefix>/alert`` and ``.../flow`` unless ``alert_destination`` / ``flow_destination``
    name them, with ``retention_days`` and an optional ``kms_key_id``; ``create_log_groups: false`` takes existing
    groups by name. S3 (bucket names, ``s3_prefix``) and KinesisDataFirehose (delivery stream names) destinations
    must exist already. Flow logs are written when ``flow_logs`` is true or a ``flow_destination`` is given.
    """

    destination_type: LogDestinationType = Field(
        default="CloudWatchLogs", description="CloudWatchLogs, S3 or KinesisDataFirehose."
    )
    alert_destination: InputStr | None = Field(
        default=None,
        description="Log group (CloudWatchLogs), bucket (S3) or delivery stream (KinesisDataFirehose) for ALERT logs; "
        "CloudWatchLogs default /aws/vendedlogs/<name_prefix>/alert, required for the others.",
    )
    flow_logs: bool | None = Field(
        default=None,
        description="Write FLOW logs too (the most volume); default: when a flow_destination is given.",
    )
    flow_destination: InputStr | None = Field(
        default=None,
        description="Log group, bucket or delivery stream for FLOW logs; CloudWatchLogs default "
        "/aws/vendedlogs/<name_prefix>/flow when flow_logs is true.",
    )
    s3_prefix: InputStr | None = Field(default=None, description="Key prefix in the bucket(s), for S3.")
    create_log_groups: bool = Field(
        default=True,
        description="CloudWatchLogs: create the log groups (retention, KMS key); false takes existing groups by name.",
    )
    retention_days: int = Field(
        default=DEFAULT_RETENTION_DAYS,
        description="CloudWatchLogs, created groups: days the log events are kept (one of CloudWatch Logs' values; "
        "0 keeps them forever).",
    )
    kms_key_id: InputStr | None = Field(
        default=None,
        description="CloudWatchLogs, created groups: ARN of the KMS key that encrypts them (its key policy must let "
        "CloudWatch Logs use it); default: CloudWatch Logs' own encryption.",
    )


class DistributionSettings(AwsArgs):
    """Share one reviewed allowlist with many accounts instead of copying it.

    ``firewall-manager``: an ``aws.fms.Policy`` (type NETWORK_FIREWALL) in the Firewall Manager administrator
    account, applied to the VPCs of ``include_accounts`` / ``include_org_units`` (every account when both are
    empty); ``remediation_enabled`` false means audit only; ``include_guard`` (true) puts the guard in the policies
    Firewall Manager creates. ``ram``: an AWS RAM share of the allow groups (never the guard, which holds this
    stack's sources and refuses the rest of their traffic) with ``principals`` (account IDs, an organization or OU
    ARN), for accounts that reference them from their own policies and add their own refusal.
    """

    method: DistributionMethod = Field(
        default="none", description="none, firewall-manager (an FMS policy) or ram (share the rule groups)."
    )
    include_accounts: InputStrList = Field(
        default_factory=list, description="firewall-manager: account IDs in scope (every account when both empty)."
    )
    include_org_units: InputStrList = Field(
        default_factory=list, description="firewall-manager: organizational units in scope (ou-...)."
    )
    remediation_enabled: bool = Field(
        default=False, description="firewall-manager: enforce (true) or audit only (false)."
    )
    default_actions: FmsDefaultActions | None = Field(
        default=None,
        description="firewall-manager (required there): the policy's stateful default actions, applied to EVERY "
        "in-scope VPC while the rules only cover source_cidrs: drop_established, drop_strict, or none "
        "(audit-first: the guard still refuses what declared sources may not reach).",
    )
    principals: InputStrItems = Field(
        default_factory=list,
        description="ram: account IDs, or organization or OU ARNs, to share the rule groups with (required for ram).",
    )
    include_guard: bool | None = Field(
        default=None,
        description="firewall-manager: reference the guard too (default; it refuses what the declared sources may not "
        "reach, in every VPC in scope); false leaves refusal to default_actions. ram never shares the guard (true is "
        "refused there).",
    )


class NetworkFirewallAllowlistArgs(AwsArgs):
    """Inputs of ``NetworkFirewallAllowlist``.

    ``selection`` (what to take from the catalog) or a ready ``plan`` (an ``EgressPlan``, e.g. with overlays or
    shared by several components): exactly one of the two.

    ``source_cidrs``: per role, the networks its machines use (SEP clients' subnets for ``agent``, the SEPM server
    for ``sepm``, the administrators' networks for ``console``...). A role without sources gets no rule.

    ``style``: ``suricata`` (default; pins ports and per-role sources) or ``domain-list``. ``headroom_percent``
    (25), ``capacity_rounding`` (100) and ``min_capacity`` (100; 1000 for shared groups, held at exactly that)
    size each group's fixed capacity so that new hosts are in-place updates; ``allow_shared_replacement`` lets a
    shared group be replaced. ``name_prefix`` starts every physical name (default per project and stack).
    ``allow_any_source`` (false) must be set to accept ``0.0.0.0/0`` as a source. ``block_action`` (reject) and
    ``pass_alert`` (false) shape the rules.

    ``enforcement`` (enforce): observe turns every refusal into a logged pass. ``guard_scope`` (external) and
    ``guard_exempt_cidrs`` say what the guard refuses.

    ``create_policy`` (true): a STRICT_ORDER firewall policy with ``default_actions``
    (``drop_established_app_layer_to_server``), ``stream_exception_policy`` (REJECT), ``tcp_idle_timeout`` (350) and
    HOME_NET set to the sources; false when the stack owns its policy (use the ``rule_group_references`` output).
    ``firewall``, ``logging``, ``distribution``: see their classes. ``tags`` go on every taggable resource.

    Plain values only where the compiler reads them (selection, sources, sizes, names); ids, destinations, tags
    and principals may be ``pulumi.Output``s.
    """

    selection: SelectionArgs | None = Field(
        default=None, description="What to select from the catalog; give it or a plan, not both."
    )
    plan: EgressPlan | None = Field(
        default=None, description="A ready EgressPlan (Python only) instead of the selection."
    )
    enforcement: Enforcement = Field(
        default="enforce",
        description="enforce, or observe: every refusal becomes an alert with the same sid and message, and the "
        "default actions only alert; switching changes only rule actions.",
    )
    source_cidrs: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per role (agent, agent-cloud, sepm, sepm-cloud, console), its networks; a role without any "
        "gets no rule.",
    )
    style: str = Field(default="suricata", description="suricata (pins ports and per-role sources) or domain-list.")
    headroom_percent: int = Field(
        default=25, description="Spare capacity per rule group, so that new hosts are in-place updates."
    )
    capacity_rounding: int = Field(default=100, description="The unit of the capacity ladder.")
    min_capacity: int | None = Field(
        default=None,
        description="Smallest capacity of a rule group: 100, or 1000 for shared groups (distribution ram or "
        "firewall-manager, or create_policy false), which are held at exactly this capacity.",
    )
    allow_shared_replacement: bool = Field(
        default=False,
        description="Let shared groups (ram, firewall-manager, create_policy false) outgrow min_capacity: a "
        "replacement with a new ARN "
        "that consumers' policies must be moved to.",
    )
    block_action: BlockAction = Field(
        default="reject",
        description="reject (a TCP reset: clients fail over at once) or drop, for refused TLS, HTTP and TCP; UDP, "
        "ICMP and other protocols are always dropped.",
    )
    pass_alert: bool = Field(
        default=False,
        description="Pass rules also alert, so the alert log names the catalog host of each flow (suricata style; "
        "one alert record per allowed flow).",
    )
    default_actions: DefaultActions = Field(
        default="drop_established_app_layer_to_server",
        description="The created policy's stateful default actions (each drop with its alert twin), for traffic "
        "the rules do not decide; AWS's default for new policies, drop_established_app_layer_to_server.",
    )
    guard_scope: GuardScope = Field(
        default="external",
        description="What the guard refuses from the declared sources: external (destinations outside HOME_NET "
        "and the private ranges), all (every destination) or all-except (every destination but "
        "guard_exempt_cidrs).",
    )
    guard_exempt_cidrs: list[str] = Field(
        default_factory=list,
        description="guard_scope all-except: the destinations the guard leaves to later rule groups and the "
        "default actions.",
    )
    stream_exception_policy: StreamExceptionPolicy = Field(
        default="REJECT",
        description="The created policy's handling of flows broken midstream: REJECT (a reset, the client "
        "reconnects and is judged again), DROP or CONTINUE.",
    )
    tcp_idle_timeout: int = Field(
        default=350, description="The created policy's TCP idle timeout in seconds (60-6000; 350 = NAT gateway's)."
    )
    max_rules_bytes: int = Field(
        default=MAX_RULES_STRING_BYTES,
        description="Largest rules string per group (AWS: 2,000,000 bytes; lower it for tooling with the old "
        "1,000,000 limit).",
    )
    name_prefix: str | None = Field(
        default=None,
        description="Start of every physical name; default sep-egress-<project>-<stack>, unique per stack. Set "
        "sep-egress to keep the names of a deployment made before names were per stack.",
    )
    allow_any_source: bool = Field(default=False, description="Accept 0.0.0.0/0 as a source.")
    create_policy: bool = Field(
        default=True,
        description="Create a STRICT_ORDER policy that drops the rest; false if you own it (rule_group_references).",
    )
    firewall: FirewallSettings | None = Field(
        default=None, description="Create the firewall itself (needs create_policy)."
    )
    logging: LoggingSettings | None = Field(default=None, description="Firewall logs (needs firewall).")
    distribution: DistributionSettings | None = Field(
        default=None, description="Firewall Manager policy or RAM share of the rule groups."
    )
    tags: InputStrMap = Field(
        default_factory=dict,
        description="Tags on every taggable resource (managed-by: sep-egress is always added).",
    )
