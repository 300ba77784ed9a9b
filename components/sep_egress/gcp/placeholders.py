"""Stand-ins for ``pulumi.Output`` values: the compilers read plain strings, the resources get the Outputs back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..arguments import is_output
from ..compile.gcp.options import OUTPUT_ACCOUNT_DOMAIN, UNKNOWN_PROJECT


class Placeholders:
    """Stand-ins for ``pulumi.Output`` values while compiling, and the way back to the Outputs.

    The compilers work on plain strings; an Output network becomes ``projects/pulumi-output/global/networks/
    <argument>-<index>`` (a shape the compiler accepts), and every structure built from the spec is restored
    before it reaches a resource or an output.
    """

    WHOLE_LIST = "pulumi-output-list"

    def __init__(self) -> None:
        self.outputs: dict[str, Any] = {}

    def items(self, values: Any, template: str) -> tuple[str, ...]:
        """Plain items as they are, Output items as stand-ins; a whole-list Output as one stand-in."""
        if is_output(values):
            key = template.format(index=self.WHOLE_LIST)
            self.outputs[key] = values
            return (key,)
        result = []
        for index, value in enumerate(values):
            if is_output(value):
                key = template.format(index=f"pulumi-output-{index}")
                self.outputs[key] = value
                result.append(key)
            else:
                result.append(value)
        return tuple(result)

    def target(self, value: Any, kind: str) -> Any:
        """A target value (``secure_tags`` or ``service_accounts`` item): plain as it is, an Output as a stand-in of
        the target's shape (``pulumi-output:<n>``, ``pulumi-output-<n>@pulumi-output.invalid``). The same Output
        object given twice is one stand-in, so kinds given the same Output share their rules."""
        if not is_output(value):
            return value
        for key, known in self.outputs.items():
            if known is value and (key.startswith("pulumi-output:") == (kind == "secure_tags")):
                return key
        number = len(self.outputs)
        key = f"pulumi-output:{number}" if kind == "secure_tags" else f"pulumi-output-{number}@{OUTPUT_ACCOUNT_DOMAIN}"
        self.outputs[key] = value
        return key

    def one(self, value: Any, template: str) -> str:
        return self.items([value], template)[0]

    def whole_list(self, values: Sequence[str]) -> Any | None:
        """The Output of a whole list, when ``values`` is its single stand-in."""
        if len(values) == 1 and values[0].endswith(self.WHOLE_LIST):
            return self.outputs.get(values[0])
        return None

    def restore(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.outputs.get(value, value)
        if isinstance(value, Mapping):
            return {key: self.restore(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.restore(item) for item in value]
        return value


NETWORK_STAND_IN = "projects/" + UNKNOWN_PROJECT + "/global/networks/{argument}-{{index}}"
SUBNETWORK_STAND_IN = "projects/" + UNKNOWN_PROJECT + "/regions/any/subnetworks/{argument}-{{index}}"
