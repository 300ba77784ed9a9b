"""Run a Pulumi program under Pulumi's own mock engine and record what it registers.

No Pulumi CLI, no cloud credentials: ``pulumi.runtime.set_mocks`` stands in for the engine, and a recording
monitor keeps every registration (type token, name, parent, inputs, options) in order. Tests use it for the
components; ``sep-egress preview`` uses it to show what ``pulumi preview`` would create.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime import stack as runtime_stack
from pulumi.runtime.config import set_all_config
from pulumi.runtime.sync_await import _sync_await


@dataclass
class RegisteredResource:
    """One ``RegisterResource`` call, as the engine would receive it."""

    type: str
    name: str
    urn: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    delete_before_replace: bool = False
    replace_on_changes: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    protect: bool = False
    #: The resource's alias specs as sent to the engine (``{"noParent": True}``, ``{"parentUrn": ...}``, ...).
    aliases: tuple[dict[str, Any], ...] = ()
    #: Inputs whose changes the engine ignores for this resource (``ignore_changes``).
    ignore_changes: tuple[str, ...] = ()


@dataclass
class MockRun:
    """What a program registered, and its stack outputs (resolved)."""

    resources: list[RegisteredResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    #: What each component passed to ``register_outputs``, by URN (resolved; the stack's own outputs excluded).
    registered_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of_type(self, type_token: str) -> list[RegisteredResource]:
        return [resource for resource in self.resources if resource.type == type_token]

    def by_urn(self, urn: str) -> RegisteredResource | None:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        return None


#: The stack key whose values the mock engine answers when the program reads an existing resource it cannot see:
#: ``{"networks": {"projects/p/global/networks/n": {"networkFirewallPolicyEnforcementOrder": "..."}}}`` as
#: ``sep-egress-preview:networks`` (another namespace: the program never reads it; ``pulumi up`` reads the cloud).
PREVIEW_NAMESPACE = "sep-egress-preview"
#: The answer for a field the stack does not state (not a value the API returns; None would be "unknown" in a
#: preview, which would hold back every resource waiting on the check).
NOT_STATED = "NOT_STATED_FOR_THE_OFFLINE_PREVIEW"


def stated(kind: str, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the stack states for the offline preview under ``sep-egress-preview:<kind>`` (a mapping, or empty):
    from ``config`` (the run's configuration, which the mocks keep: some Pulumi releases answer mocks outside the
    context that holds the engine's config), else from the engine's config."""
    import json

    from pulumi.runtime.config import get_config

    key = f"{PREVIEW_NAMESPACE}:{kind}"
    raw = config.get(key) if config is not None and key in config else get_config(key)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class FakeCloudMocks(pulumi.runtime.Mocks):
    """Echo inputs back as outputs and fill in the identifiers a cloud would assign (id, arn, self_link, ...).

    A read of an existing GCP network (``gcp.compute.Network.get``) is answered with what the stack states under
    ``sep-egress-preview:networks`` for that network (by path ``projects/p/global/networks/n`` or by name), in the
    Compute API's field names; a network the stack does not describe is answered with ``NOT_STATED`` as its
    enforcement order (the documented default of the offline preview: "not read", which the firewall component
    reports instead of guessing). ``getRecordSet`` is answered from ``sep-egress-preview:record_sets`` the same
    way (keyed ``<zone>/<name>/<type>``), else with no records."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config = dict(config or {})

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == "gcp:compute/network:Network" and args.resource_id:
            networks = stated("networks", self.config)
            path = str(args.resource_id)
            found = networks.get(path) or networks.get(path.rsplit("/", 1)[-1]) or {}
            state.update({"name": path.rsplit("/", 1)[-1], "networkFirewallPolicyEnforcementOrder": NOT_STATED})
            state.update(found if isinstance(found, dict) else {})
            return path, state
        resource_id = f"{args.name}-id"
        if args.typ.startswith("aws:"):
            service = args.typ.split(":")[1].split("/")[0]
            state.setdefault("arn", f"arn:aws:{service}:us-east-1:123456789012:{args.name}")
        if args.typ == "aws:networkfirewall/firewall:Firewall":
            state.setdefault("firewallStatuses", firewall_statuses(args.inputs.get("subnetMappings") or []))
        if args.typ.startswith("gcp:"):
            state.setdefault("selfLink", f"https://www.googleapis.com/compute/v1/projects/test/{args.name}")
            state.setdefault("name", args.inputs.get("name", args.name))
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        # No failures is an empty list: pulumi's MockMonitor.Invoke iterates the second item of a tuple.
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":  # noqa: S105 - a function token
            return {"accountId": "123456789012", "arn": "arn:aws:iam::123456789012:user/test", "userId": "test"}, []
        if args.token == "aws:index/getRegion:getRegion":  # noqa: S105 - a function token
            return {"name": "us-east-1", "region": "us-east-1", "id": "us-east-1"}, []
        if args.token == "gcp:dns/getRecordSet:getRecordSet":  # noqa: S105 - a function token
            key = f"{args.args.get('managedZone')}/{args.args.get('name')}/{args.args.get('type')}"
            record = stated("record_sets", self.config).get(key) or {}
            return {**dict(args.args), "rrdatas": list(record.get("rrdatas", [])), "ttl": record.get("ttl", 0)}, []
        return {}, []


#: What the mock engine answers for a firewall's endpoints, which only AWS assigns: per subnet, the Availability Zone
#: ``az-of-<subnet id>`` and the endpoint ``vpce-mock-<subnet id>`` (``firewall_statuses[].sync_states[]``). Outputs
#: built from them (``awsFirewallEndpointIds``) show their shape in an offline preview, never real values.
MOCK_AZ_PREFIX = "az-of-"
MOCK_ENDPOINT_PREFIX = "vpce-mock-"


def firewall_statuses(subnet_mappings: list[Any]) -> list[dict[str, Any]]:
    """A ready ``Firewall.firewall_statuses`` for the mapped subnets, with the placeholder AZs and endpoint ids."""
    states = []
    for mapping in subnet_mappings:
        subnet = str(mapping.get("subnetId", "")) if isinstance(mapping, Mapping) else str(mapping)
        states.append(
            {
                "availabilityZone": f"{MOCK_AZ_PREFIX}{subnet}",
                "attachments": [{"subnetId": subnet, "endpointId": f"{MOCK_ENDPOINT_PREFIX}{subnet}"}],
            }
        )
    return [{"syncStates": states, "transitGatewayAttachmentSyncStates": []}]


class RecordingMonitor(runtime_mocks.MockMonitor):
    """The mock monitor, keeping every registration in order."""

    def __init__(
        self, mocks: pulumi.runtime.Mocks, run: MockRun, project: str = "project", stack: str = "stack"
    ) -> None:
        super().__init__(mocks)
        self.run = run
        self.project = project
        self.stack = stack

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN from this run's own project and stack: pulumi's ``MockMonitor.make_urn`` reads them from the
        runtime settings, which some pulumi releases leave at ``project``/``stack`` under ``set_mocks``."""
        if parent:
            type_ = parent.split("::")[2].split("$").pop() + "$" + type_
        return "urn:pulumi:" + "::".join([self.stack, self.project, type_, name])

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            self.run.resources.append(
                RegisteredResource(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent or None,
                    custom=bool(request.custom),
                    inputs=_plain(rpc.deserialize_properties(request.object)),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    replace_on_changes=tuple(request.replaceOnChanges),
                    depends_on=tuple(request.dependencies),
                    protect=bool(request.protect),
                    aliases=tuple(_alias_spec(alias) for alias in request.aliases),
                    ignore_changes=tuple(request.ignoreChanges),
                )
            )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if "::pulumi:pulumi:Stack::" not in request.urn:
            self.run.registered_outputs[request.urn] = _plain(rpc.deserialize_properties(request.outputs))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


def _alias_spec(alias: Any) -> dict[str, Any]:
    if alias.HasField("urn"):
        return {"urn": alias.urn}
    spec = alias.spec
    fields = {"name": spec.name, "type": spec.type, "stack": spec.stack, "project": spec.project}
    found: dict[str, Any] = {key: value for key, value in fields.items() if value}
    if spec.noParent:
        found["noParent"] = True
    elif spec.parentUrn:
        found["parentUrn"] = spec.parentUrn
    return found


#: How the offline preview shows a value that is known only once a resource exists.
UNKNOWN_TEXT = "(known after apply)"


def _plain(value: Any) -> Any:
    """Deserialized inputs without the engine's sentinel markers, for comparison and JSON; unknown values as
    ``UNKNOWN_TEXT``.

    The engine carries every number as a double; whole numbers are turned back into integers (a priority or a
    port reads 443, not 443.0).
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, pulumi.output.Unknown) or value == pulumi.runtime.rpc.UNKNOWN:
        # An Output not known until the resource behind it exists (a service account's email created in the same
        # stack): one stable text, so that the preview prints the same bytes every time.
        return UNKNOWN_TEXT
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if not str(key).startswith("__")}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def run_program(
    program: Callable[[], object],
    *,
    project: str = "sep-egress",
    stack: str = "test",
    config: Mapping[str, str] | None = None,
    preview: bool = True,
    mocks: pulumi.runtime.Mocks | None = None,
    record: MockRun | None = None,
) -> MockRun:
    """Run ``program`` (a callable that creates resources and exports) under the mock engine.

    ``config`` maps full keys (``sep-egress:mode``) to the string values the engine would pass. Exceptions the
    program raises propagate after the runtime has settled; pass ``record`` to see what was registered before.
    """
    run = record if record is not None else MockRun()
    monitor = RecordingMonitor(mocks or FakeCloudMocks(config), run, project=project, stack=stack)
    set_all_config(dict(config or {}))
    _reset_root()
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    runtime_settings.SETTINGS.rpc_manager.clear()
    root = runtime_settings.get_root_resource()

    outputs: dict[str, Any] = {}

    def body() -> None:
        program()

    try:
        _sync_await(runtime_stack.run_pulumi_func(body))
        if isinstance(root, runtime_stack.Stack):
            for key, value in root.outputs.items():
                outputs[key] = _sync_await(pulumi.Output.from_input(value).future())
    finally:
        _reset_root()
        set_all_config({})
    run.outputs = _plain(outputs)
    return run


def _reset_root() -> None:
    # A new Stack per run, so one run's exports never leak into the next.
    runtime_settings.ROOT.set(None)
    try:
        asyncio.get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


def run_project(
    project_dir: str,
    stack: str,
    config: Mapping[str, str],
    project: str = "sep-egress",
    program: str | None = None,
) -> MockRun:
    """Run a Pulumi project's Python program under the mock engine, as ``pulumi preview`` would: ``program`` (the
    file ``main:`` of Pulumi.yaml names, by default the project's ``__main__.py``), from its own folder; ``project``
    is the project's name (the namespace of its unqualified config keys)."""
    import os
    import runpy
    import sys

    program = program or os.path.join(project_dir, "__main__.py")
    folder = os.path.dirname(os.path.abspath(program))
    previous_cwd = os.getcwd()
    os.chdir(folder)
    sys.path.insert(0, folder)
    try:
        return run_program(
            lambda: runpy.run_path(program, run_name="__main__"), project=project, stack=stack, config=config
        )
    finally:
        sys.path.remove(folder)
        os.chdir(previous_cwd)


def _worker() -> None:
    """Entry for a subprocess that previews another checkout of the project (``sep-egress preview --base``).

    This file imports only pulumi, so it can run against a tree whose own ``components`` package differs.
    Reads ``{"project_dir", "stack", "config"}`` as JSON on stdin, writes the registrations as JSON on stdout.
    """
    import json
    import sys
    from dataclasses import asdict

    request = json.load(sys.stdin)
    run = run_project(
        request["project_dir"],
        request["stack"],
        request["config"],
        request.get("project", "sep-egress"),
        request.get("program"),
    )
    json.dump({"resources": [asdict(resource) for resource in run.resources], "outputs": run.outputs}, sys.stdout)
