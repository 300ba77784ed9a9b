"""What the typed args of every component share: strict pydantic models, Pulumi inputs, the selection, and one
way of turning a validation error into a ``SepEgressError`` that names the argument.

Two kinds of values meet in a component's args:

- values the compilers read (the selection, source CIDRs, ports, counts, style, names that rule ids derive from)
  must be plain: the rules are compiled when the component is constructed, before anything is registered. A
  ``pulumi.Output`` there is refused with a message that says so;
- values that only pass through to a resource (VPC and subnet ids, networks, log destinations, tags, principals,
  project) are ``pulumi.Input``: a plain value (validated as such) or a ``pulumi.Output`` (passed through).

Models are strict (``"true"`` is not a boolean, ``1`` is not ``true``, ``True`` is not an integer) and refuse
unknown keys, so a typo never silently drops a setting.
"""

from __future__ import annotations

import contextvars
import functools
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self, TypeVar

import pulumi
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .catalog import EgressPlan, SourcedOverlay, load_catalog, load_overlay, select
from .errors import CatalogError, SelectionError, SepEgressError

ErrorFactory = Callable[[str, str], SepEgressError]

_COMPILE_TIME = (
    "a pulumi.Output cannot be used here: the rules are compiled when the component is constructed, before any "
    "resource exists, so this value must be known then (pass a plain value)"
)


def _is_output(value: Any) -> bool:
    return isinstance(value, pulumi.Output)


def _plain_or_output(kind: type, what: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if _is_output(value):
            return value
        if isinstance(value, kind) and not (kind is not bool and isinstance(value, bool)):
            if isinstance(value, str) and not value.strip():
                raise PydanticCustomError("pulumi_input", f"{what} (not empty), or a pulumi.Output of one")
            return value
        raise PydanticCustomError(
            "pulumi_input", f"{what} or a pulumi.Output of one, not {{value}}", {"value": repr(value)}
        )

    return check


def _list_of_inputs(*, whole_output: bool) -> Callable[[Any], Any]:
    item = _plain_or_output(str, "a string")

    def check(value: Any) -> Any:
        if _is_output(value):
            if whole_output:
                return value
            raise PydanticCustomError(
                "pulumi_input",
                "a list (its items may be pulumi.Outputs), not a pulumi.Output of a list: one resource is created "
                "and named per item, so the number of items must be known when the component is constructed",
            )
        if isinstance(value, str) or not isinstance(value, list):
            raise PydanticCustomError("pulumi_input", "a list of strings, not {value}", {"value": repr(value)})
        for index, entry in enumerate(value):
            try:
                item(entry)
            except PydanticCustomError as error:
                raise PydanticCustomError("pulumi_input", f"[{index}]: {error.message()}") from None
        return list(value)

    return check


def _string_map_input(value: Any) -> Any:
    if _is_output(value):
        return value
    if not isinstance(value, Mapping):
        raise PydanticCustomError("pulumi_input", "a mapping of strings to strings, or a pulumi.Output of one")
    item = _plain_or_output(str, "a string")
    for key, entry in value.items():
        if not isinstance(key, str):
            raise PydanticCustomError("pulumi_input", "keys must be strings, not {key}", {"key": repr(key)})
        try:
            item(entry)
        except PydanticCustomError as error:
            raise PydanticCustomError("pulumi_input", f".{key}: {error.message()}") from None
    return dict(value)


_VALIDATING: contextvars.ContextVar[bool] = contextvars.ContextVar("sep_egress_validating_args", default=False)


class PulumiInput:
    """Marks an argument that accepts a ``pulumi.Output`` (read by the component package's schema)."""


INPUT = PulumiInput()

InputStr = Annotated[
    str | pulumi.Output[str], PlainValidator(_plain_or_output(str, "a string"), json_schema_input_type=str), INPUT
]
"""A string, or a ``pulumi.Output`` of one (an id from another resource or a stack reference)."""

InputStrList = Annotated[
    list[InputStr] | pulumi.Output[list[str]],
    PlainValidator(_list_of_inputs(whole_output=True), json_schema_input_type=list[str]),
    INPUT,
]
"""A list whose items may be ``pulumi.Output``s, or a ``pulumi.Output`` of the whole list (values passed through)."""

InputStrItems = Annotated[
    list[InputStr], PlainValidator(_list_of_inputs(whole_output=False), json_schema_input_type=list[str]), INPUT
]
"""A list whose items may be ``pulumi.Output``s; the list itself is plain (one resource per item)."""

InputStrMap = Annotated[
    dict[str, InputStr] | pulumi.Output[dict[str, str]],
    PlainValidator(_string_map_input, json_schema_input_type=dict[str, str]),
    INPUT,
]
"""A mapping of strings to strings (values may be ``pulumi.Output``s), or a ``pulumi.Output`` of one."""


class ComponentArgs(BaseModel):
    """Base of the components' args: strict, frozen, unknown keys refused, errors raised as ``SepEgressError``.

    Build with keyword arguments (``NetworkFirewallAllowlistArgs(source_cidrs=...)``) or from plain data
    (stack configuration, JSON) with ``parse``. As in Pulumi's generated SDKs, an args object is checked when a
    component (or ``parse``) takes it: a mistake in one built on its own, at any depth, is then raised with the
    argument's full dotted name (``firewall.subnet_ids[1]: ...``), and a component adds its own name
    (``NetworkFirewallAllowlist 'a': firewall.subnet_ids[1]: ...``). Valid values are checked at once either way.
    """

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        arbitrary_types_allowed=True,
        validate_default=False,
        # An args object nested in another is validated again as part of it: that is where a mistake in one
        # built on its own is reported, with its full path.
        revalidate_instances="always",
    )

    error: ClassVar[ErrorFactory]

    @model_validator(mode="wrap")
    @classmethod
    def _what_was_given(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """An args object validated again (nested in another, or given to ``parse``) is validated from what its
        caller set, not from every field: pydantic's revalidation would otherwise mark the defaults as set, and
        ``model_fields_set`` (what the user chose, e.g. ``given()`` or an option refused for one destination
        type) would lie. Unknown keys kept by an unchecked object are passed on, so they are refused by path."""
        if isinstance(data, ComponentArgs):
            given = {name: data.__dict__[name] for name in data.model_fields_set if name in data.__dict__}
            given.update(data.__pydantic_extra__ or {})
            return handler(given)
        return handler(data)

    def __init__(self, /, **data: Any) -> None:
        if _VALIDATING.get():
            # A nested model of an outer one being validated: let pydantic report the problem with its full path.
            super().__init__(**data)
            return
        token = _VALIDATING.set(True)
        try:
            super().__init__(**data)
        except ValidationError:
            # Built on its own, the object does not know where it will be used: it keeps what it was given (an
            # unknown key too) and the component or ``parse`` that takes it reports the mistake by its full path.
            known = type(self).model_fields
            fields = {key: value for key, value in data.items() if key in known}
            object.__setattr__(self, "__dict__", fields)
            object.__setattr__(self, "__pydantic_fields_set__", set(fields))
            object.__setattr__(self, "__pydantic_extra__", {key: data[key] for key in data if key not in known})
            object.__setattr__(self, "__pydantic_private__", None)
        finally:
            _VALIDATING.reset(token)

    @property
    def is_checked(self) -> bool:
        """False for an object built on its own from invalid values (``parse`` or a component raises its error)."""
        return self.__pydantic_extra__ is None

    @classmethod
    def parse(cls, value: Any) -> Self:
        """``value`` itself when it is already this class and valid, else validated (from the mapping of argument
        names, or from what the object was given); a mistake raises ``cls.error`` naming the argument."""
        if isinstance(value, cls) and value.is_checked:
            return value
        if not isinstance(value, (cls, Mapping)):
            raise cls.error("args", f"a {cls.__name__} or a mapping of argument names to values")
        token = _VALIDATING.set(True)
        try:
            return cls.model_validate(value if isinstance(value, cls) else dict(value))
        except ValidationError as exc:
            raise args_error(cls, exc) from None
        finally:
            _VALIDATING.reset(token)

    def given(self, *exclude: str) -> dict[str, Any]:
        """The arguments the caller set (defaults left to the compiler), as plain values."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set) if name not in exclude}


def _model_at(model: type[BaseModel], path: Sequence[Any]) -> type[BaseModel] | None:
    """The model class validating the value at ``path`` (for the list of known arguments)."""
    current: type[BaseModel] | None = model
    for part in path:
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            return None
        current = _model_in(current.model_fields[part].annotation)
    return current


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _where(path: Sequence[Any]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _message(model: type[BaseModel], error: Any) -> str:
    kind = error["type"]
    value = error.get("input")
    if _is_output(value) and kind != "pulumi_input":
        return _COMPILE_TIME
    if kind == "extra_forbidden":
        owner = _model_at(model, error["loc"][:-1])
        if owner is not None and "selection" in owner.model_fields and error["loc"][-1] in SelectionArgs.model_fields:
            return f"unknown argument; the catalog selection is nested: selection.{error['loc'][-1]}"
        known = ", ".join(owner.model_fields) if owner is not None else ""
        return f"unknown argument; expected one of {known}" if known else "unknown argument"
    if kind == "missing":
        return "is required"
    if kind == "bool_type":
        return f"true or false, not {value!r}"
    if kind == "int_type":
        return f"{value!r} is not an integer"
    if kind == "string_type":
        return f"{value!r} is not a string"
    if kind == "list_type":
        return f"a list, not {value!r}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"a mapping of names to values, not {value!r}"
    if kind == "literal_error":
        return f"{value!r}; choose {error['ctx']['expected']}"
    if kind == "is_instance_of":
        return f"a {error['ctx']['class']}, not {type(value).__name__}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


_ITEM = re.compile(r"^((?:\[\d+\]|\.[^:\s]+)+): (.*)$", re.DOTALL)


def args_error(model: type[ComponentArgs], exc: ValidationError) -> SepEgressError:
    """One ``SepEgressError`` for every problem of ``exc``, one line each: ``<argument>: <what is wrong>``."""
    lines: list[str] = []
    # An unknown key first: a misspelt argument usually explains the "is required" that follows it.
    errors = sorted(exc.errors(include_url=False), key=lambda error: error["type"] != "extra_forbidden")
    for error in errors:
        where = _where(error["loc"])
        message = _message(model, error)
        # Item validators put the index or key first: move it into the argument's name.
        item = _ITEM.match(message)
        if item:
            where, message = where + item.group(1), item.group(2)
        line = f"{where}: {message}" if where else message
        if line not in lines:
            lines.append(line)
    first, _, rest = lines[0].partition(": ")
    return model.error(first, "\n".join([rest, *lines[1:]]))


class InternalSelectionArgs(ComponentArgs):
    """The addresses of SEP's own internal destinations, as the stack key ``sep-egress:internal`` (docs/internal.md):
    the internal catalog's paths towards them are allowed, and nothing internal without them."""

    error: ClassVar[ErrorFactory] = staticmethod(lambda where, message: SelectionArgsError(f"{where}: {message}"))

    sepm: list[str] = Field(default_factory=list, description="CIDRs of the SEPM servers, e.g. ['10.20.0.10/32'].")
    gup: list[str] = Field(default_factory=list, description="CIDRs of the Group Update Providers.")
    clients: list[str] = Field(
        default_factory=list, description="CIDRs of the computers the manager pushes the client to."
    )
    ports: dict[str, list[int]] = Field(
        default_factory=dict,
        description="Another port for a path whose port is configurable, e.g. {'sepm-agent-https': [8443]}.",
    )
    paths: list[str] = Field(default_factory=list, description="Optional paths to add, e.g. ['sepm-replication'].")

    def to_config(self) -> dict[str, Any]:
        """The same mapping as the stack key, without the empty parts."""
        self = type(self).parse(self)
        return {key: value for key, value in self.model_dump().items() if value}


class SelectionArgs(ComponentArgs):
    """What to select from the vendor catalog; the same nested ``selection`` in every component.

    Give it, or a ready ``plan``, never both.
    """

    error: ClassVar[ErrorFactory] = staticmethod(lambda where, message: SelectionArgsError(f"{where}: {message}"))

    version: str = Field(description='The SEP/SES release deployed, e.g. "14.3 RU1".')
    mode: str | None = Field(
        default=None, description="on-prem (agent, sepm), hybrid (+ agent-cloud, sepm-cloud) or cloud."
    )
    roles: list[str] = Field(default_factory=list, description="Roles added to the mode's (console is never implied).")
    proxy: bool = Field(default=False, description="Agents and managers reach the internet through a proxy.")
    storage: str = Field(default="both", description="Phase of the vendor's storage move: both, gcp or aws.")
    overlays: list[str] = Field(default_factory=list, description="Overlay files (paths) merged into the catalog.")
    internal: InternalSelectionArgs | None = Field(
        default=None,
        description="Addresses of SEP's internal destinations (sepm, gup, clients) and their options; "
        "without them nothing internal is allowed (docs/internal.md).",
    )

    def plan(self, error: ErrorFactory, prefix: str = "selection") -> EgressPlan:
        """The plan this selection describes; a mistake raises ``error`` naming ``<prefix>.<field>``."""
        self = type(self).parse(self)
        overlays = []
        for index, name in enumerate(self.overlays):
            try:
                overlays.append(SourcedOverlay(name, load_overlay(Path(name))))
            except CatalogError as exc:
                raise error(f"{prefix}.overlays[{index}]", str(exc)) from None
        try:
            return select(
                load_catalog(),
                version=self.version,
                mode=self.mode,
                roles=self.roles,
                proxy=self.proxy,
                storage=self.storage,
                overlays=overlays,
                internal=None if self.internal is None else self.internal.to_config(),
            )
        except SelectionError as exc:
            field = exc.field or "mode"
            raise error(f"{prefix}.{field}", str(exc).removeprefix(f"{field}: ")) from None
        except CatalogError as exc:
            raise error(f"{prefix}.overlays", str(exc)) from None


class SelectionArgsError(SepEgressError):
    """A ``SelectionArgs`` built on its own is invalid."""


def resolve_plan(selection: SelectionArgs | None, plan: EgressPlan | None, error: ErrorFactory) -> EgressPlan:
    """The ready ``plan``, or the one ``selection`` describes (exactly one of them is given)."""
    if plan is not None and selection is not None:
        raise error(
            "plan", "pass either a plan or a selection, not both; the plan already decides the catalog selection"
        )
    if plan is not None:
        return plan
    if selection is None:
        raise error("selection", "the catalog selection (at least its version) or a ready plan is required")
    return selection.plan(error)


def is_output(value: Any) -> bool:
    """Whether ``value`` is only known once the deployment runs (a ``pulumi.Output``)."""
    return _is_output(value)


ComponentArgsT = TypeVar("ComponentArgsT", bound=ComponentArgs)
ComponentInit = Callable[[Any, str, Any, "pulumi.ResourceOptions | None"], None]


def sort_call(
    model: type[ComponentArgsT], args: Sequence[Any], kwargs: dict[str, Any]
) -> tuple[ComponentArgsT, pulumi.ResourceOptions | None]:
    """A component call in either of Pulumi's two styles, as ``(args, opts)``:

    - ``X(name, args, opts=None)``: ``args`` a ``model`` or a mapping of the same arguments (also ``args=``);
    - ``X(name, opts=None, *, field=...)``: the arguments as keywords (``None`` meaning not given, as in the
      generated SDKs), ``opts`` positional or by keyword.
    """
    rest = list(args)
    given: Any = None
    if rest and (isinstance(rest[0], (model, Mapping))):
        given = rest.pop(0)
    elif "args" in kwargs:
        given = kwargs.pop("args")
    opts: Any = rest.pop(0) if rest else None
    if rest:
        raise model.error("args", f"at most (name, args, opts) positionally; {len(args)} positional values given")
    if "opts" in kwargs:
        if opts is not None:
            raise model.error("opts", "given twice (positionally and by keyword)")
        opts = kwargs.pop("opts")
    if opts is not None and not isinstance(opts, pulumi.ResourceOptions):
        raise model.error("opts", f"a pulumi.ResourceOptions, not {type(opts).__name__}")
    if given is not None:
        if kwargs:
            also = ", ".join(kwargs)
            raise model.error("args", f"pass the arguments as an args object or as keywords, not both (also: {also})")
        return model.parse(given), opts
    return model.parse({key: value for key, value in kwargs.items() if value is not None}), opts


def name_component(error: SepEgressError, component: str, name: str) -> SepEgressError:
    """``error`` (same class, same attributes) with its message starting ``<Component> '<name>': ``."""
    prefix = f"{component} {name!r}: "
    message = str(error)
    if not message.startswith(prefix):
        error.args = (prefix + message,)
    return error


def call_styles(model: type[ComponentArgs]) -> Callable[[ComponentInit], Callable[..., None]]:
    """Decorates a component's ``__init__(self, name, args, opts)`` so that it takes both of Pulumi's call styles
    (``sort_call``) and every ``SepEgressError`` it raises names the component and the resource name
    (``NetworkFirewallAllowlist 'a': firewall.subnet_ids[1]: ...``). The class declares the two ``@overload``s.
    """

    def decorate(init: ComponentInit) -> Callable[..., None]:
        @functools.wraps(init)
        def dispatch(self: Any, resource_name: str, *args: Any, **kwargs: Any) -> None:
            try:
                parsed, opts = sort_call(model, args, kwargs)
                init(self, resource_name, parsed, opts)
            except SepEgressError as error:
                raise name_component(error, type(self).__name__, resource_name) from None

        return dispatch

    return decorate
