"""The Pulumi program: stack config -> validated settings -> egress plan -> exports.

Everything is validated before any resource is registered; a user mistake stops the run with one message.
"""

from pathlib import Path

import pulumi

from components.engine_config import stack_config_from_engine
from components.errors import SepEgressError

try:
    plan = stack_config_from_engine(Path(__file__).parent).plan()
except SepEgressError as error:
    raise pulumi.RunError(str(error)) from None

pulumi.export("catalogVersion", plan.catalog_version)
pulumi.export("selection", plan.to_dict()["selection"])
pulumi.export("allow", [rule.to_dict() for rule in plan.allow])
pulumi.export("tlsInspectionBypass", list(plan.tls_inspection_bypass))
pulumi.export("warnings", [warning.to_dict() for warning in plan.warnings])
