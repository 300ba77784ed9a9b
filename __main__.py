"""The Pulumi program: stack config -> validated settings -> egress plan -> components.

Every part of the configuration is validated and compiled before any resource is registered; a user mistake
stops the run with one message per problem, naming the config key.
"""

from pathlib import Path

import pulumi

from sep_egress.engine_config import stack_config_from_engine
from sep_egress.errors import SepEgressError
from sep_egress.program import prepare_deployment

try:
    deployment = prepare_deployment(stack_config_from_engine(Path(__file__).parent))
except SepEgressError as error:
    raise pulumi.RunError(str(error)) from None

deployment.register()
