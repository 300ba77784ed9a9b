"""The user's internal destinations (the stack key ``sep-egress:internal``, the ``--internal`` flags, or objects built
by hand), validated against the internal catalog: each mistake named with its key or flag."""

from __future__ import annotations

from typing import Any

import pytest

from sep_egress.catalog import Catalog
from sep_egress.catalog.internal import (
    InternalDestinations,
    destinations_from_config,
    destinations_from_flags,
)
from sep_egress.errors import SelectionError

from support import SEPM, hybrid


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        ({"sepm": ["0.0.0.0/0"]}, "internal.sepm[0]", "every address"),
        ({"sepm": ["::/0"]}, "internal.sepm[0]", "every address"),
        ({"sepm": ["10.0.0.1/8"]}, "internal.sepm[0]", "host bits set"),
        ({"sepm": ["10.20.0.10"]}, "internal.sepm[0]", "is not a CIDR"),
        ({"sepm": ["10.20.0.10/32 "]}, "internal.sepm[0]", "is not a CIDR"),
        ({"sepm": ["10.20.0.10/32\n"]}, "internal.sepm[0]", "is not a CIDR"),
        ({"sepm": ["10.20.0.10/32", "10.20.0.10/32"]}, "internal.sepm[1]", "listed twice"),
        ({"sepm": [10]}, "internal.sepm[0]", "a CIDR is text"),
        ({"sepm": "10.20.0.10/32"}, "internal.sepm", "a non-empty list of CIDRs"),
        ({"sepm": []}, "internal.sepm", "a non-empty list of CIDRs"),
        ({"lua": ["10.20.0.30/32"]}, "internal.lua", "unknown key"),
        (["10.20.0.10/32"], "internal", "a mapping of destination kinds"),
        ({"ports": {"sepm-agent-https": [8443]}}, "internal", "need the addresses"),
        ({"sepm": [SEPM], "ports": {"sepm-console-web": [9443]}}, "internal.ports.sepm-console-web", "fixed"),
        ({"sepm": [SEPM], "ports": {"nope": [1]}}, "internal.ports.nope", "unknown internal path"),
        ({"sepm": [SEPM], "ports": {"gup-agent-proxy": [1]}}, "internal.ports.gup-agent-proxy", "no addresses"),
        ({"sepm": [SEPM], "ports": {"sepm-agent-https": [0]}}, "internal.ports.sepm-agent-https[0]", "1..65535"),
        ({"sepm": [SEPM], "ports": {"sepm-agent-https": [True]}}, "internal.ports.sepm-agent-https[0]", "whole"),
        ({"sepm": [SEPM], "ports": {"sepm-agent-https": [443, 443]}}, "internal.ports.sepm-agent-https[1]", "twice"),
        ({"sepm": [SEPM], "ports": {"sepm-agent-http": [80]}}, "internal.ports.sepm-agent-http", "optional"),
        ({"sepm": [SEPM], "paths": ["sepm-agent-https"]}, "internal.paths[0]", "always selected"),
        ({"sepm": [SEPM], "paths": ["clients-push-mac"]}, "internal.paths[0]", "no addresses"),
        ({"sepm": [SEPM], "paths": "sepm-replication"}, "internal.paths", "a list of optional path ids"),
    ],
)
def test_config_mistakes_name_the_key(value: Any, field: str, words: str) -> None:
    with pytest.raises(SelectionError) as caught:
        destinations_from_config(value)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("flags", "start", "words"),
    [
        ({"internal": ["sepm"]}, "--internal sepm: ", "expected KIND=CIDR"),
        ({"internal": ["sepm=0.0.0.0/0"]}, "--internal sepm=0.0.0.0/0: ", "every address"),
        ({"internal": ["lua=10.0.0.0/8"]}, "--internal lua=10.0.0.0/8: ", "unknown destination kind 'lua'"),
        ({"internal": [f"sepm={SEPM}"], "ports": ["sepm-agent-https"]}, "--internal-port sepm-agent-https: ", "PATH="),
        (
            {"internal": [f"sepm={SEPM}"], "ports": ["sepm-agent-https=x"]},
            "--internal-port sepm-agent-https=x: ",
            "1 to",
        ),
        ({"internal": [f"sepm={SEPM}"], "paths": ["nope"]}, "--internal-path nope: ", "unknown internal path"),
        ({"paths": ["sepm-replication"]}, "--internal-port/--internal-path: ", "give the addresses first"),
    ],
)
def test_flag_mistakes_name_the_flag(flags: dict[str, list[str]], start: str, words: str) -> None:
    with pytest.raises(SelectionError) as caught:
        destinations_from_flags(flags.get("internal", ()), flags.get("ports", ()), flags.get("paths", ()))
    assert str(caught.value).startswith(start)
    assert words in str(caught.value)


def test_config_and_flags_give_the_same_canonical_destinations() -> None:
    from_config = destinations_from_config(
        {
            "gup": ["10.10.5.16/28", "10.10.5.0/28"],
            "sepm": ["10.20.0.11/32", SEPM],
            "ports": {"sepm-agent-https": [8443, 443]},
            "paths": ["sepm-replication"],
        }
    )
    from_flags = destinations_from_flags(
        [f"sepm={SEPM},10.20.0.11/32", "gup=10.10.5.0/28", "gup=10.10.5.16/28"],
        ["sepm-agent-https=443,8443"],
        ["sepm-replication"],
    )
    assert from_config == from_flags
    assert from_config.addresses == (("gup", ("10.10.5.0/28", "10.10.5.16/28")), ("sepm", (SEPM, "10.20.0.11/32")))


@pytest.mark.parametrize(
    "declared",
    [
        InternalDestinations(addresses=(("sepm", ("0.0.0.0/0",)),)),
        InternalDestinations(addresses=(("sepm", ("10.20.0.10/32 ",)),)),
        InternalDestinations(addresses=(("lua", ("10.20.0.10/32",)),)),
        InternalDestinations(addresses=(("sepm", ("10.20.0.10/32",)),), ports=(("sepm-console-web", (1,)),)),
        InternalDestinations(addresses=(("sepm", ("10.20.0.11/32", "10.20.0.10/32")),)),
    ],
)
def test_destinations_built_by_hand_are_validated_again(catalog: Catalog, declared: InternalDestinations) -> None:
    with pytest.raises(SelectionError):
        hybrid(catalog, declared)
