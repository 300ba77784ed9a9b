from __future__ import annotations

import itertools
import random

import pytest

from sep_egress.catalog import ProductVersion, VersionError

ORDERED = ["14.2 RU2", "14.3", "14.3 MP1", "14.3 RU1", "14.3 RU1 MP1", "14.3 RU1 MP2", "14.3 RU2", "14.3 RU10", "15.0"]


def test_versions_form_one_total_order() -> None:
    parsed = [ProductVersion.parse(text) for text in ORDERED]
    shuffled = parsed[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled) == parsed
    for earlier, later in itertools.pairwise(parsed):
        assert earlier < later and not later < earlier and earlier != later


def test_an_ru_comes_after_every_mp_of_the_same_base() -> None:
    assert ProductVersion.parse("14.3 MP9") < ProductVersion.parse("14.3 RU1")
    assert ProductVersion.parse("14.3 RU1 MP9") < ProductVersion.parse("14.3 RU2")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("14.3", "14.3"),
        ("14", "14.0"),
        ("14.3 mp1", "14.3 MP1"),
        ("14.3-RU1-MP1", "14.3 RU1 MP1"),
        ("  14.3  RU2 ", "14.3 RU2"),
        ("14.3RU1", "14.3 RU1"),
    ],
)
def test_common_spellings_parse_to_the_canonical_form(text: str, canonical: str) -> None:
    assert str(ProductVersion.parse(text)) == canonical


@pytest.mark.parametrize("text", ["", "latest", "14.3.10148.8000", "14.3 MP0", "14.3 RU0", "14.3 SP1", "RU1", "x14.3"])
def test_anything_else_is_a_clear_error(text: str) -> None:
    with pytest.raises(VersionError, match="product version"):
        ProductVersion.parse(text)


def test_non_text_is_refused() -> None:
    with pytest.raises(VersionError):
        ProductVersion.parse(None)
    with pytest.raises(VersionError, match="in quotes"):
        ProductVersion.parse(14.10)
    assert str(ProductVersion.parse(14)) == "14.0"


@pytest.mark.parametrize("version", ["14.3 RU1\n", "14.3\nRU1", "\u0661\u0664.3", "14.3 RU1\u2028"])
def test_a_product_version_is_matched_whole_in_ascii(version: str) -> None:
    from sep_egress.catalog import ProductVersion, VersionError

    with pytest.raises(VersionError):
        ProductVersion.parse(version)
