"""The package's input types, generated from the Python args models, not restated.

The host's analyzer reads TypedDicts (live annotations, property docs from the class source), not pydantic models.
``package_args_source`` therefore writes one TypedDict per args model of ``sep_egress.aws`` / ``sep_egress.gcp``
(same names, same fields, the field descriptions as property docs, ``pulumi.Input[...]`` exactly where the Python
model accepts an Output; ``plan`` left out, since a ready ``EgressPlan`` is Python-only), and that module is built
from the source when this module is imported. An argument added to a Python args model appears in the package
without editing this file.
"""

import json
import linecache
import sys
import types
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .. import aws as aws_components
from .. import gcp as gcp_components
from ..arguments import ComponentArgs, InputStr, InputStrItems, InputStrList, InputStrMap
from ..catalog.vendor.plan import EgressPlan

ARGS_MODELS: tuple[type[BaseModel], ...] = (
    aws_components.NetworkFirewallAllowlistArgs,
    gcp_components.EgressFirewallPolicyArgs,
    gcp_components.EgressNatArgs,
    gcp_components.StoragePrivateAccessArgs,
)
"""The args of the four components; the models they nest are found from their fields."""

_INPUT_TYPES: dict[Any, str] = {
    InputStr: "pulumi.Input[str]",
    InputStrList: "pulumi.Input[list[pulumi.Input[str]]]",
    InputStrItems: "list[pulumi.Input[str]]",
    InputStrMap: "pulumi.Input[dict[str, pulumi.Input[str]]]",
}


def _annotation(annotation: Any, models: dict[str, type[BaseModel]]) -> tuple[str, bool] | None:
    """The TypedDict spelling of a pydantic field type and whether it is optional; None for Python-only fields."""
    if annotation in _INPUT_TYPES:
        return _INPUT_TYPES[annotation], False
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union) and type(None) in arguments:
        rest = [argument for argument in arguments if argument is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"no package type for {annotation!r}")
        inner = _annotation(rest[0], models)
        return None if inner is None else (inner[0], True)
    if isinstance(annotation, type) and issubclass(annotation, EgressPlan):
        return None  # a ready plan is a Python object: the package takes the selection
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        _collect(annotation, models)
        return annotation.__name__, False
    if origin is Literal:  # the analyzer knows no Literal: the choices go into the description
        return "str", False
    if annotation in (str, int, bool, float):
        return str(annotation.__name__), False
    if origin is tuple and len(arguments) == 2 and arguments[1] is Ellipsis:  # tuple[X, ...] is a list on the wire
        item = _annotation(arguments[0], models)
        return None if item is None else (f"list[{item[0]}]", False)
    if origin is list:
        item = _annotation(arguments[0], models)
        return None if item is None else (f"list[{item[0]}]", False)
    if origin is dict and arguments[0] is str:
        value = _annotation(arguments[1], models)
        return None if value is None else (f"dict[str, {value[0]}]", False)
    raise TypeError(f"no package type for {annotation!r}")


def _collect(model: type[BaseModel], models: dict[str, type[BaseModel]]) -> None:
    """Add ``model`` and the models it nests to ``models``, nested ones first."""
    if model.__name__ in models:
        return
    for field in model.model_fields.values():
        _annotation(_field_type(field), models)
    models[model.__name__] = model


def _field_type(field: FieldInfo) -> Any:
    """The field's type with its metadata, as declared (pydantic keeps ``Annotated`` metadata apart)."""
    if field.metadata:
        return typing.Annotated[(field.annotation, *field.metadata)]
    return field.annotation


def _docstring(text: str) -> str:
    escaped = " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f'"""{escaped}"""'


def _description(field: FieldInfo, name: str) -> str:
    text = field.description or name.replace("_", " ")
    if typing.get_origin(field.annotation) is Literal:
        text += " One of: " + ", ".join(str(choice) for choice in typing.get_args(field.annotation)) + "."
    if not field.is_required():
        default = field.get_default(call_default_factory=True)
        if default not in (None, [], {}) and not isinstance(default, BaseModel):
            text += f" Default: {json.dumps(default)}."
    return text


def package_args_source() -> str:
    """The Python source of the package's input types, one TypedDict per args model (nested models first)."""
    models: dict[str, type[BaseModel]] = {}
    for model in ARGS_MODELS:
        _collect(model, models)
    lines = [
        '"""Input types of the sep-egress component package, generated from the Python args models."""',
        "",
        "from typing import NotRequired, TypedDict",
        "",
        "import pulumi",
    ]
    for name, model in models.items():
        lines += ["", "", f"class {name}(TypedDict):", f"    {_docstring((model.__doc__ or name).strip())}"]
        spelled_fields = {field: _annotation(_field_type(info), models) for field, info in model.model_fields.items()}
        for field_name, field in model.model_fields.items():
            spelled = spelled_fields[field_name]
            if spelled is None:
                continue
            kind, optional = spelled
            # Python takes a selection or a ready plan; the package has no plan, so its selection is required.
            needed = field_name == "selection" and spelled_fields.get("plan", ...) is None
            if (optional or not field.is_required()) and not needed:
                kind = f"NotRequired[{kind}]"
            lines += ["", f"    {field_name}: {kind}", f"    {_docstring(_description(field, field_name))}"]
    return "\n".join(lines) + "\n"


def _load_package_args() -> types.ModuleType:
    """Build the input types from ``package_args_source``.

    The source is registered with ``linecache`` under the module's file name, so that ``inspect.getsource``, which
    the analyzer uses for the property docs, finds it.
    """
    name = f"{__package__}_args"  # sep_egress.provider_args, as when the package was one module
    filename = f"<{name}: generated from the Python args models>"
    source = package_args_source()
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 - source generated just above
    return module


PACKAGE_ARGS = _load_package_args()
"""The generated input types (``PACKAGE_ARGS.NetworkFirewallAllowlistArgs``, ...)."""


# The input type each package component's ``__init__`` names (the analyzer reads it there). The types exist only once
# the source above has run, so a type checker sees a mapping of argument names.
if TYPE_CHECKING:
    NetworkFirewallAllowlistInputs = Mapping[str, Any]
    EgressFirewallPolicyInputs = Mapping[str, Any]
    EgressNatInputs = Mapping[str, Any]
    StoragePrivateAccessInputs = Mapping[str, Any]
else:
    NetworkFirewallAllowlistInputs = PACKAGE_ARGS.NetworkFirewallAllowlistArgs
    EgressFirewallPolicyInputs = PACKAGE_ARGS.EgressFirewallPolicyArgs
    EgressNatInputs = PACKAGE_ARGS.EgressNatArgs
    StoragePrivateAccessInputs = PACKAGE_ARGS.StoragePrivateAccessArgs


def args_model(inputs: Any) -> type[ComponentArgs]:
    """The args model of ``ARGS_MODELS`` that the generated input type ``inputs`` was written from (same name)."""
    name = getattr(inputs, "__name__", None)
    [model] = [model for model in ARGS_MODELS if issubclass(model, ComponentArgs) and model.__name__ == name]
    return model
