"""The component selection arguments (SelectionArgs and friends) that the Python components and the component package
share."""

from __future__ import annotations

import pytest

from sep_egress.catalog import Catalog
from sep_egress.catalog.internal import load_internal_catalog
from sep_egress.errors import SelectionError

from support import SEPM, hybrid


@pytest.mark.pulumi
def test_the_component_selection_takes_internal_destinations(catalog: Catalog) -> None:
    """Components (Python and the component package) select internal paths as the stack key does."""
    from sep_egress.arguments import InternalSelectionArgs, SelectionArgs

    kinds = set(InternalSelectionArgs.model_fields) - {"ports", "paths"}
    assert kinds == set(load_internal_catalog().destinations)
    config = {"sepm": [SEPM], "ports": {"sepm-agent-https": [8443]}}
    selection = SelectionArgs(version="14.3 RU1", mode="hybrid", roles=["console"], internal=config)

    def error(where: str, message: str) -> SelectionError:
        return SelectionError(f"{where}: {message}")

    plan = selection.plan(error)
    assert plan.to_json() == hybrid(catalog, config).to_json()
    with pytest.raises(SelectionError, match=r"^selection\.internal\.sepm\[0\]: '0\.0\.0\.0/0' is every address"):
        SelectionArgs(version="14.3 RU1", mode="hybrid", internal={"sepm": ["0.0.0.0/0"]}).plan(error)


def test_every_component_takes_each_of_its_arguments_as_a_keyword() -> None:
    """The keyword overload of each component names exactly its args model's fields (a field added to the model but
    not to the overload would type-check as an error for keyword callers, and hide from their editors)."""
    import inspect
    import typing

    from sep_egress.aws import NetworkFirewallAllowlist, NetworkFirewallAllowlistArgs
    from sep_egress.gcp import (
        EgressFirewallPolicy,
        EgressFirewallPolicyArgs,
        EgressNat,
        EgressNatArgs,
        StoragePrivateAccess,
        StoragePrivateAccessArgs,
    )
    from sep_egress.gcp.secure_web_proxy import SecureWebProxy, SecureWebProxyArgs

    pairs = [
        (NetworkFirewallAllowlist, NetworkFirewallAllowlistArgs),
        (EgressFirewallPolicy, EgressFirewallPolicyArgs),
        (EgressNat, EgressNatArgs),
        (StoragePrivateAccess, StoragePrivateAccessArgs),
        (SecureWebProxy, SecureWebProxyArgs),
    ]
    for component, model in pairs:
        overloads = typing.get_overloads(component.__init__.__wrapped__)  # type: ignore[attr-defined]
        assert len(overloads) == 2, component
        keywords = {
            name
            for name, parameter in inspect.signature(overloads[1]).parameters.items()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY
        }
        assert keywords == set(model.model_fields), (component.__name__, keywords ^ set(model.model_fields))
