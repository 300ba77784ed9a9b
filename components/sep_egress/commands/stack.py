"""``sep-egress stack new NAME [--from STACK]``: a new stack file whose physical names are its own;
``sep-egress stack check``: stacks that would create the same physical name in one place.

Physical names are what AWS and Google Cloud key resources by, so two stacks with the same ones in one AWS account
and region, or one GCP project, fail at ``pulumi up`` (or, worse, fight over one resource):

- AWS: every name starts with ``name_prefix`` (rule groups, policy, firewall; unique per account and region);
- GCP: the firewall policy's ``options.name`` (also the rule names' prefix), the secure tag key's ``key``, the
  NAT's ``options.name`` (router, NAT and address names), Private Google Access's ``options.name`` (route and
  zone names) and the Secure Web Proxy's ``options.name`` (gateway, gateway security policy and, when created, the
  proxy-only subnet, in the proxy's project and region); the components default them all to ``sep-egress``.

``stack new`` sets each of them explicitly in the new file (the components' defaults stay as they are, so existing
stacks keep their resources). A copy keeps the source's comments: values are replaced line by line in the text;
only when a block is written in flow style (``{...}``) is the file rewritten from its data, without comments.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import SepEgressError
from ..escape import plain_text

STACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
GCP_NAME_LENGTH = 40  # compile/gcp/options.py: names derived from it must fit in 63
_KEY = re.compile(r"^(?P<indent> *)(?P<key>[^\s#'\"{}\[\]-][^#]*?|'[^']*'|\"[^\"]*\"):(?:[ \t]+(?P<value>.*?))?[ \t]*$")
COMMENT = "# this stack's own physical name (sep-egress stack new)"


class StackCommandError(SepEgressError):
    """A stack cannot be created, or the stack files cannot be compared."""


def configure(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="stack_command", metavar="SUBCOMMAND", required=True)
    new = commands.add_parser(
        "new",
        help="write stacks/Pulumi.NAME.yaml with this stack's own physical names",
        description="Write a new stack file: a copy of --from STACK (comments kept) or a minimal one, with its "
        "own AWS name_prefix and GCP policy, tag key, NAT and Private Google Access names. Exit 2 when the file "
        "exists or the copy is not a valid stack.",
    )
    new.add_argument("name", metavar="NAME", help="the new stack's name (Pulumi.NAME.yaml)")
    new.add_argument("--from", dest="source", metavar="STACK", help="copy this stack's settings")
    commands.add_parser(
        "check",
        help="list stacks that would create the same physical names in one account/region or project",
        description="Compare every stack file's physical names; exit 1 when two stacks would create the same name "
        "in the same AWS region (and account, when known) or GCP project.",
    )
    for sub in commands.choices.values():
        sub.add_argument(
            "--project-dir", type=Path, default=Path("."), metavar="DIR", help="project holding stacks/ (default: .)"
        )


# --- physical names -------------------------------------------------------------------------------------------


def gcp_name(stack: str) -> str:
    """``sep-egress-<stack>`` as an RFC 1035 name of at most 40 characters (a hash ends a shortened one)."""
    slug = re.sub(r"[^a-z0-9]+", "-", stack.lower()).strip("-")
    name = f"sep-egress-{slug}".rstrip("-")
    if len(name) <= GCP_NAME_LENGTH:
        return name
    digest = hashlib.sha256(stack.encode()).hexdigest()[:6]
    return name[: GCP_NAME_LENGTH - 7].rstrip("-") + "-" + digest


def aws_name_prefix(project: str, stack: str) -> str:
    from ..aws.names import default_name_prefix

    return default_name_prefix(project, stack)


@dataclass(frozen=True)
class PhysicalName:
    """One name a stack creates, where it must be unique, and the setting it comes from."""

    stack: str
    cloud: str  # aws | gcp
    scope: tuple[str, ...]  # (region,) for AWS; (project,) or (project, region) for GCP
    kind: str
    name: str
    setting: str
    account: frozenset[str] = frozenset()
    vpc: str | None = None
    advice: str | None = None  # what to do about a collision, when another name does not resolve it


def _block(config: Mapping[str, Any], namespaces: set[str], key: str) -> tuple[str | None, dict[str, Any]]:
    for full, value in config.items():
        namespace, _, name = str(full).rpartition(":")
        if name == key and namespace in namespaces and isinstance(value, dict):
            return str(full), value
    return None, {}


def _get(mapping: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(part)
    return mapping


def physical_names(stack: str, project: str, config: Mapping[str, Any]) -> list[PhysicalName]:
    """The names ``stack`` creates that must be unique in their scope (those the settings decide)."""
    namespaces = {"sep-egress", project}
    names: list[PhysicalName] = []
    aws_key, aws = _block(config, namespaces, "aws")
    region = config.get("aws:region")
    if aws_key and isinstance(region, str):
        prefix = aws.get("name_prefix") or aws_name_prefix(project, stack)
        accounts = config.get("aws:allowedAccountIds")
        account = frozenset(str(item) for item in accounts) if isinstance(accounts, list) else frozenset()
        vpc = _get(aws, "firewall", "vpc_id")
        aws_scope = (region,)
        own_vpc = vpc if isinstance(vpc, str) else None
        names.append(
            PhysicalName(
                stack, "aws", aws_scope, "names starting with", str(prefix), f"{aws_key}.name_prefix", account, own_vpc
            )
        )
        firewall_name = _get(aws, "firewall", "name")
        if isinstance(firewall_name, str):
            setting = f"{aws_key}.firewall.name"
            names.append(PhysicalName(stack, "aws", aws_scope, "firewall", firewall_name, setting, account, own_vpc))
    gcp_key, gcp = _block(config, namespaces, "gcp")
    default_project = config.get("gcp:project")

    def add(kind: str, scope: tuple[Any, ...], block: Any, field: str, setting: str) -> None:
        if all(isinstance(part, str) for part in scope):  # else the provider's default project: unknown here
            name = block.get(field, "sep-egress") if isinstance(block, dict) else "sep-egress"
            names.append(PhysicalName(stack, "gcp", tuple(scope), kind, str(name), f"{gcp_key}.{setting}"))

    firewall = gcp.get("firewall")
    if isinstance(firewall, dict):
        options: dict[str, Any] = firewall["options"] if isinstance(firewall.get("options"), dict) else {}
        scope = options.get("scope", "global")
        where: tuple[Any, ...] = (options.get("project") or default_project, f"{scope} policies")
        if scope in ("folder", "organization"):
            where = (options.get("parent"), "hierarchical policies")
        elif scope == "regional":
            where = (*where, options.get("region"))
        add("firewall policy", where, options, "name", "firewall.options.name")
        tags = firewall.get("secure_tags")
        if isinstance(tags, dict):
            add("secure tag key", (tags.get("parent"),), tags, "key", "firewall.secure_tags.key")
    nat = _get(gcp, "nat", "options")
    if isinstance(nat, dict):
        where = (nat.get("project") or default_project, nat.get("region"))
        add("Cloud NAT router, NAT and address names", where, nat, "name", "nat.options.name")
    private = _get(gcp, "private_access", "options")
    if isinstance(private, dict):
        where = (private.get("project") or default_project,)
        add("Private Google Access route and zone names", where, private, "name", "private_access.options.name")
    proxy = _get(gcp, "secure_web_proxy", "options")
    if isinstance(proxy, dict):
        names.extend(_proxy_names(stack, f"{gcp_key}.secure_web_proxy.options", proxy, default_project))
    return names


def _proxy_names(stack: str, setting: str, options: dict[str, Any], default_project: Any) -> list[PhysicalName]:
    """The Secure Web Proxy's gateway and gateway security policy (regional, in the project), and its proxy-only
    subnet when ``proxy_only_subnet_range`` creates one (a regional subnetwork of the project). The names are the
    compiler's (``SecureWebProxyOptions.gateway_name`` and siblings) from ``options.name``."""
    project, region = options.get("project") or default_project, options.get("region")
    if not isinstance(project, str) or not isinstance(region, str):
        return []  # the provider's default project: unknown here
    prefix = str(options.get("name", "sep-egress"))
    scope = (project, region)
    found = [
        PhysicalName(stack, "gcp", scope, "Secure Web Proxy gateway", f"{prefix}-swp", f"{setting}.name"),
        PhysicalName(stack, "gcp", scope, "gateway security policy", f"{prefix}-swp-policy", f"{setting}.name"),
    ]
    if options.get("proxy_only_subnet_range") is not None:
        found.append(
            PhysicalName(stack, "gcp", scope, "proxy-only subnet", f"{prefix}-swp-proxy-only", f"{setting}.name")
        )
        network = options.get("network")
        if isinstance(network, str):
            # "In a given VPC network and region, only a single proxy-only subnet with purpose
            # REGIONAL_MANAGED_PROXY can be active at any point in time", whatever its name
            # (https://cloud.google.com/load-balancing/docs/proxy-only-subnets): two stacks creating one collide.
            found.append(
                PhysicalName(
                    stack,
                    "gcp",
                    (region,),
                    "active proxy-only subnet (REGIONAL_MANAGED_PROXY) of the network",
                    network[network.find("projects/") :] if "projects/" in network else network,
                    f"{setting}.proxy_only_subnet_range",
                    advice="a region and network hold one, shared by every proxy there: set proxy_only_subnet_range "
                    "in one stack only",
                )
            )
    return found


@dataclass(frozen=True)
class Collision:
    """Two stacks that would create the same physical name in the same place."""

    first: PhysicalName
    second: PhysicalName
    where: str

    def message(self) -> str:
        first, second = self.first, self.second
        advice = first.advice or "give one of them its own (sep-egress stack new writes one)"
        return (
            f"stacks {first.stack} and {second.stack} would both create the {first.kind} {first.name!r} in "
            f"{self.where} ({first.setting}); {advice}"
        )


def collisions(named: list[PhysicalName]) -> list[Collision]:
    """Every pair of stacks that would create the same name in the same place."""
    found = []
    for index, first in enumerate(named):
        for second in named[index + 1 :]:
            same = (first.cloud, first.kind, first.scope, first.name) == (
                second.cloud,
                second.kind,
                second.scope,
                second.name,
            )
            if first.stack == second.stack or not same:
                continue
            if first.cloud == "aws":
                if first.account and second.account and not first.account & second.account:
                    continue  # allowedAccountIds say they deploy to different accounts
                if first.vpc and first.vpc == second.vpc:
                    where = f"AWS region {first.scope[0]}, VPC {first.vpc}"
                elif first.account and first.account & second.account:
                    where = f"AWS account {sorted(first.account & second.account)[0]}, region {first.scope[0]}"
                else:
                    where = f"AWS region {first.scope[0]} (if both deploy to the same account)"
            else:
                where = "GCP " + ", ".join(first.scope)
            found.append(Collision(first, second, where))
    return found


def project_collisions(project_dir: Path, stack: str | None = None) -> list[str]:
    """The messages of ``collisions`` across every stack file of the project (those involving ``stack``)."""
    from ..settings import read_project, read_stack_document

    project = read_project(project_dir)
    named: list[PhysicalName] = []
    unreadable: list[str] = []
    for name in project.stacks():
        try:
            _, _, document = read_stack_document(project_dir, name)
        except SepEgressError as error:
            # Another stack's broken file is that stack's problem: compared without it (and said by stack check).
            unreadable.append(f"stack {name} not compared: {str(error).splitlines()[0]}")
            continue
        config = document.get("config")
        if isinstance(config, dict):
            named.extend(physical_names(name, project.name, config))
    found = [
        collision.message()
        for collision in collisions(named)
        if stack is None or stack in (collision.first.stack, collision.second.stack)
    ]
    return found + (unreadable if stack is None else [])


# --- writing the new file --------------------------------------------------------------------------------------


class FlowStyle(Exception):
    """A block to edit is written in flow style: the text cannot be edited line by line."""


def _keys(lines: list[str]) -> Iterator[tuple[int, int, str, str | None]]:
    """(line index, indent, key, inline value) of every block-mapping key line."""
    for index, line in enumerate(lines):
        match = _KEY.match(line)
        if match and not line.lstrip().startswith("#"):
            key = match["key"]
            if key[:1] in "'\"":
                key = key[1:-1]
            yield index, len(match["indent"]), key, match["value"]


def _end_of_block(lines: list[str], start: int, indent: int) -> int:
    end = start + 1
    while end < len(lines):
        text = lines[end]
        if text.strip() and not text.lstrip().startswith("#") and len(text) - len(text.lstrip(" ")) <= indent:
            break
        end += 1
    return end


def _find(lines: list[str], path: tuple[str, ...]) -> tuple[int, int, str | None] | None:
    """(line, indent, inline value) of the key at ``path``, or None."""
    start, end, parent_indent = 0, len(lines), -1
    found: tuple[int, int, str | None] | None = None
    for depth, part in enumerate(path):
        found = None
        child_indent: int | None = None
        for index, indent, key, value in _keys(lines[start:end]):
            if indent <= parent_indent:
                continue
            child_indent = indent if child_indent is None else child_indent
            if indent == child_indent and key == part:
                found = (start + index, indent, value)
                break
        if found is None:
            return None
        if depth < len(path) - 1 and found[2] and not found[2].startswith("#"):
            raise FlowStyle(".".join(path[: depth + 1]))
        start, parent_indent = found[0], found[1]
        end = _end_of_block(lines, start, parent_indent)
        start += 1
    return found


def set_value(lines: list[str], path: tuple[str, ...], value: str) -> None:
    """Set the scalar at ``path`` in the YAML text ``lines`` (in place), creating missing mappings on the way; the
    comment lines just above a replaced key (they described the old value) give way to ``COMMENT``."""
    rendered = yaml.safe_dump(value, default_style=None).removesuffix("\n...\n").strip()
    found = _find(lines, path)
    if found is not None:
        index, indent, _ = found
        top = index
        while top > 0 and lines[top - 1].strip().startswith("#") and _indent(lines[top - 1]) == indent:
            top -= 1
        lines[top : index + 1] = [" " * indent + COMMENT, " " * indent + f"{_key(path[-1])}: {rendered}"]
        return
    parent = _find(lines, path[:-1]) if len(path) > 1 else None
    if parent is None:
        if len(path) == 1:
            raise FlowStyle(path[0])
        set_value_mapping(lines, path[:-1])
        parent = _find(lines, path[:-1])
        assert parent is not None
    index, indent, inline = parent
    if inline and not inline.startswith("#"):
        raise FlowStyle(".".join(path[:-1]))
    child = next(
        (len(line) - len(line.lstrip(" ")) for line in lines[index + 1 :] if line.strip() and line.strip()[0] != "#"),
        indent + 2,
    )
    child = child if child > indent else indent + 2
    lines[index + 1 : index + 1] = [" " * child + COMMENT, " " * child + f"{_key(path[-1])}: {rendered}"]


def set_value_mapping(lines: list[str], path: tuple[str, ...]) -> None:
    """Create the empty mapping ``path`` (its parent must exist or be creatable)."""
    parent = _find(lines, path[:-1])
    if parent is None:
        set_value_mapping(lines, path[:-1])
        parent = _find(lines, path[:-1])
        assert parent is not None
    index, indent, _ = parent
    child = next(
        (len(line) - len(line.lstrip(" ")) for line in lines[index + 1 :] if line.strip() and line.strip()[0] != "#"),
        indent + 2,
    )
    child = child if child > indent else indent + 2
    lines.insert(index + 1, " " * child + f"{_key(path[-1])}:")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_.:/-]+", key) else yaml.safe_dump(key).removesuffix("\n...\n").strip()


def _set(data: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def name_settings(stack: str, project: str, config: Mapping[str, Any]) -> dict[tuple[str, ...], str]:
    """The settings (paths under ``config``) ``stack new`` writes, with their values."""
    namespaces = {"sep-egress", project}
    settings: dict[tuple[str, ...], str] = {}
    aws_key, aws = _block(config, namespaces, "aws")
    if aws_key:
        prefix = aws_name_prefix(project, stack)
        settings[(aws_key, "name_prefix")] = prefix
        if isinstance(_get(aws, "firewall", "name"), str):
            settings[(aws_key, "firewall", "name")] = f"{prefix}-firewall"
        # Log groups the component creates (CloudWatch Logs, unless create_log_groups is false) are named per stack
        # too: the source's explicit names would make both stacks create the same groups.
        logging = aws.get("logging")
        creates = (
            isinstance(logging, dict)
            and logging.get("destination_type", "CloudWatchLogs") == "CloudWatchLogs"
            and logging.get("create_log_groups", True) is not False
        )
        if creates:
            from ..aws.names import default_log_group

            for field, log_type in (("alert_destination", "ALERT"), ("flow_destination", "FLOW")):
                if isinstance(logging.get(field), str):  # type: ignore[union-attr]
                    settings[(aws_key, "logging", field)] = default_log_group(prefix, log_type)
    gcp_key, gcp = _block(config, namespaces, "gcp")
    if gcp_key:
        name = gcp_name(stack)
        if isinstance(gcp.get("firewall"), dict):
            settings[(gcp_key, "firewall", "options", "name")] = name
            if isinstance(_get(gcp, "firewall", "secure_tags"), dict):
                settings[(gcp_key, "firewall", "secure_tags", "key")] = name
        from .schemas import gcp_part_models

        for part, model in gcp_part_models().items():
            if part == "firewall" or not isinstance(gcp.get(part), dict):
                continue
            options = model.model_fields.get("options")
            options_model = getattr(options, "annotation", None)
            if isinstance(options_model, type) and "name" in getattr(options_model, "model_fields", {}):
                settings[(gcp_key, part, "options", "name")] = name
    return settings


STARTER = """config:
  sep-egress:mode: on-prem
  sep-egress:version: "14.3 RU1"
"""


def new_stack_text(name: str, source: str | None, source_text: str, project: str) -> str:
    """The new stack file: the source's text with this stack's names (or the starter)."""
    document = yaml.safe_load(source_text) if source_text.strip() else {}
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackCommandError(f"--from {source}: the stack file has no 'config' mapping")
    config = document.get("config") or {}
    settings = name_settings(name, project, config)
    lines = source_text.split("\n")
    modeline = lines.pop(0) if lines and lines[0].startswith("# yaml-language-server:") else None
    try:
        for path, value in settings.items():
            set_value(lines, ("config", *path), value)
        body = "\n".join(lines)
    except FlowStyle:
        for path, value in settings.items():
            _set(config, path, value)
        body = yaml.safe_dump({**document, "config": config}, sort_keys=False, allow_unicode=True)
        sys.stderr.write(
            "sep-egress stack new: the source writes a block in flow style ({...}); the copy is rewritten from its "
            "data, without the source's comments\n"
        )
    origin = f"a copy of stack {source}" if source else "a starter"
    header = [f"# {name}: {origin}, with this stack's own physical names (sep-egress stack new)."]
    if source:
        header.append(
            f"# Check the values copied from {source} (accounts, networks, addresses, tags); {source}'s notes follow."
        )
    return "\n".join(([modeline] if modeline else []) + header) + "\n" + body


def _mentions(config: Any, word: str, where: str = "") -> Iterator[str]:
    if isinstance(config, dict):
        for key, value in config.items():
            yield from _mentions(value, word, f"{where}.{key}" if where else str(key))
    elif isinstance(config, list):
        for index, value in enumerate(config):
            yield from _mentions(value, word, f"{where}[{index}]")
    elif isinstance(config, str) and re.search(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", config):
        yield f"{where}: {config}"


def run_new(args: argparse.Namespace) -> int:
    from ..settings import read_project, read_stack_file

    if not STACK_NAME.fullmatch(args.name):
        raise StackCommandError(
            f"{args.name!r} is not a stack name (letters, digits, '-', '_', '.'; starting with a letter or digit)"
        )
    project = read_project(args.project_dir)
    target = project.stack_path(args.name)
    if target.exists():
        raise StackCommandError(f"{target}: the stack exists already; choose another name or edit that file")
    if args.source:
        source_path = project.stack_path(args.source)
        try:
            source_text = source_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise StackCommandError(f"--from {args.source}: cannot read {source_path} ({exc})") from None
    else:
        source_text = STARTER
    text = new_stack_text(args.name, args.source, source_text, project.name)
    if not project.stack_config_dir.is_dir():
        raise StackCommandError(f"{project.stack_config_dir}: the stack folder does not exist")
    with target.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    try:
        read_stack_file(args.project_dir, args.name)
    except SepEgressError as exc:
        target.unlink()
        raise StackCommandError(f"the new stack would not be valid, nothing written:\n{exc}") from None
    sys.stdout.write(f"wrote {target}\n")
    config = (yaml.safe_load(text) or {}).get("config") or {}
    if args.source:
        for line in _mentions(config, args.source):
            sys.stderr.write(f"review (mentions {args.source}): {plain_text(line)}\n")
    for message in project_collisions(args.project_dir, args.name):
        sys.stderr.write(f"warning: {message}\n")
    return 0


def run_check(args: argparse.Namespace) -> int:
    messages = project_collisions(args.project_dir)
    for message in messages:
        sys.stdout.write(plain_text(message) + "\n")
    if not messages:
        sys.stdout.write("no two stacks would create the same physical name\n")
    return 1 if messages else 0


def run(args: argparse.Namespace) -> int:
    return run_new(args) if args.stack_command == "new" else run_check(args)
