"""The sep-egress CrossGuard policy pack: run it with ``pulumi preview --policy-pack policy``.

Constructing ``PolicyPack`` starts the analyzer's gRPC server and blocks until the engine is done, which is why
it happens here and nowhere else; the checks live in ``sep_egress_policy`` and are tested without the server.
"""

from pulumi_policy import EnforcementLevel, PolicyPack
from sep_egress_policy.policies import build_policies

PolicyPack(
    name="sep-egress",
    policies=build_policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
    description="SEP/SES egress: no allow-all, only catalog hosts, logging on, wider-than-vendor rules flagged.",
)
