"""CrossGuard's view of the checks: validation callbacks, and the policies ``__main__.py`` puts in the pack.

The callbacks only read ``args.resource_type``, ``args.props``, ``args.urn``, ``args.opts.parent`` and
``args.get_config()``, so tests call them with a stand-in ``args``. ``pulumi_policy`` is imported by
``build_policies`` alone: importing this module needs nothing but the standard library.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import checks

NO_ALLOW_ALL = "sep-egress-no-allow-all-egress"
HOSTS_FROM_CATALOG = "sep-egress-hosts-from-catalog"
LOGGING_ON = "sep-egress-logging-on"
FIREWALL_LOGGING = "sep-egress-firewall-logging"
WIDER_THAN_VENDOR = "sep-egress-wider-than-vendor"
POLICY_NAMES = (NO_ALLOW_ALL, HOSTS_FROM_CATALOG, LOGGING_ON, FIREWALL_LOGGING, WIDER_THAN_VENDOR)

# The engine's markers for values unknown during preview (pulumi_policy.proxy); a props mapping that was not
# wrapped in the SDK's proxy carries them as plain strings.
UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)

ReportViolation = Callable[..., None]

CONFIG_SCHEMA_PROPERTIES: dict[str, dict[str, Any]] = {
    "allowedHosts": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Hosts your overlays add (exact names; '*.example.com' for a domain and its subdomains).",
    },
    "allowedDomainSuffixes": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Domains whose every subdomain your overlays allow (domain_suffix: true).",
    },
    "enforcement": {
        "type": "string",
        "enum": list(checks.ENFORCEMENTS),
        "default": "enforce",
        "description": (
            "The stack's sep-egress:enforcement: observe accepts a Network Firewall policy whose defaults log (an "
            "aws:alert_* action) rather than drop what no rule matches; enforce requires the drop."
        ),
    },
}
#: The policies whose check reads ``enforcement`` (``policy/export_catalog.py --enforcement`` configures them).
ENFORCEMENT_POLICIES = (NO_ALLOW_ALL,)


def _unknown_error(error: Exception) -> bool:
    # pulumi_policy raises UnknownValueError from its props proxy when a value is unknown during preview.
    return type(error).__name__ == "UnknownValueError"


def to_plain(value: Any) -> Any:
    """Props as plain dicts and lists, every unknown value replaced by ``checks.UNKNOWN``.

    The SDK's proxy raises on reading an unknown value, which would abandon the whole policy for the resource;
    converting first lets a check judge everything that is known and leave only the unknown part for ``up``.
    """
    if isinstance(value, str):
        return checks.UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        for key in value:
            try:
                item = value[key]
            except Exception as error:
                if not _unknown_error(error):
                    raise
                plain[key] = checks.UNKNOWN
                continue
            plain[key] = to_plain(item)
        return plain
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(to_plain(value[index]))
            except Exception as error:
                if not _unknown_error(error):
                    raise
                items.append(checks.UNKNOWN)
        return items
    return value


def _config(args: Any) -> Mapping[str, Any]:
    config = args.get_config() if hasattr(args, "get_config") else {}
    return config or {}


def _parent(args: Any) -> str | None:
    opts = getattr(args, "opts", None)
    parent = getattr(opts, "parent", None)
    return parent if isinstance(parent, str) else None


def _report_all(messages: Sequence[str], report_violation: ReportViolation) -> None:
    for message in messages:
        report_violation(message)


def validate_no_allow_all(args: Any, report_violation: ReportViolation) -> None:
    if args.resource_type in checks.EGRESS_TYPES:
        messages = checks.allow_all_egress(args.resource_type, to_plain(args.props), _config(args))
        _report_all(messages, report_violation)


def validate_hosts_from_catalog(args: Any, report_violation: ReportViolation) -> None:
    if args.resource_type in checks.EGRESS_TYPES:
        messages = checks.hosts_outside_catalog(args.resource_type, to_plain(args.props), _config(args))
        _report_all(messages, report_violation)


def validate_logging_on(args: Any, report_violation: ReportViolation) -> None:
    if args.resource_type in checks.EGRESS_TYPES:
        messages = checks.logging_off(
            args.resource_type, to_plain(args.props), _config(args), urn=args.urn, parent=_parent(args)
        )
        _report_all(messages, report_violation)


def validate_wider_than_vendor(args: Any, report_violation: ReportViolation) -> None:
    if args.resource_type in checks.EGRESS_TYPES:
        messages = checks.wider_than_vendor(args.resource_type, to_plain(args.props), _config(args))
        _report_all(messages, report_violation)


def stack_resource(resource: Any) -> checks.StackResource:
    """A ``PolicyResource`` as the stack check reads it."""
    parent = getattr(resource, "parent", None)
    dependencies = {getattr(item, "urn", None) for item in getattr(resource, "dependencies", None) or ()}
    for items in (getattr(resource, "property_dependencies", None) or {}).values():
        dependencies.update(getattr(item, "urn", None) for item in items)
    return checks.StackResource(
        resource_type=resource.resource_type,
        urn=resource.urn,
        props=to_plain(resource.props),
        parent=getattr(parent, "urn", None) if parent is not None else _parent(resource),
        dependencies=tuple(sorted(urn for urn in dependencies if isinstance(urn, str))),
    )


def validate_firewall_logging(args: Any, report_violation: ReportViolation) -> None:
    resources = [stack_resource(resource) for resource in args.resources]
    for message, urn in checks.firewalls_without_logging(resources):
        report_violation(message, urn)


def build_policies() -> list[Any]:
    """The pack's policies. Imports ``pulumi_policy``: call it from the pack's entry point, not from tests of the
    project's own environment (which does not install it)."""
    from pulumi_policy import (
        EnforcementLevel,
        PolicyConfigSchema,
        ResourceValidationPolicy,
        StackValidationPolicy,
    )

    # One schema for every configured policy: PackConfig reads the same keys for each (and reports any other).
    config_schema = PolicyConfigSchema(properties=CONFIG_SCHEMA_PROPERTIES)
    return [
        ResourceValidationPolicy(
            name=NO_ALLOW_ALL,
            description=(
                "No egress allow to every address (0.0.0.0/0, ::/0, any) without a host match, and no Network "
                "Firewall policy that passes by default (config: enforcement observe accepts defaults that log "
                "instead of drop)."
            ),
            validate=validate_no_allow_all,
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=config_schema,
        ),
        ResourceValidationPolicy(
            name=HOSTS_FROM_CATALOG,
            description=(
                "Domain lists, SNI/Host matches and FQDN rules name only hosts of the sep-egress catalog or of "
                "declared overlays (config: allowedHosts, allowedDomainSuffixes)."
            ),
            validate=validate_hosts_from_catalog,
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=config_schema,
        ),
        ResourceValidationPolicy(
            name=LOGGING_ON,
            description="Rules sep-egress makes log (Cloud NGFW enableLogging, Network Firewall ALERT logs).",
            validate=validate_logging_on,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        StackValidationPolicy(
            name=FIREWALL_LOGGING,
            description="Every Network Firewall sep-egress makes has a logging configuration.",
            validate=validate_firewall_logging,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        ResourceValidationPolicy(
            name=WIDER_THAN_VENDOR,
            description=(
                "Warns where a control admits more than the vendor's list: shared hosts (storage.googleapis.com), "
                "domain suffixes, unanchored names, Private Google Access ranges, a Network Firewall policy in "
                "observe mode (its defaults log what no rule matches, and let it pass)."
            ),
            validate=validate_wider_than_vendor,
            enforcement_level=EnforcementLevel.ADVISORY,
        ),
    ]
