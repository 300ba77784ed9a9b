"""The internal catalog's file validation: a broken file is refused, naming the file and the problem."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from sep_egress.catalog.internal import (
    load_internal_catalog,
)
from sep_egress.errors import CatalogError

from support import raw_file


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d["paths"][0].update(to="lua"), "destination kind 'lua' is not under 'destinations'"),
        (lambda d: d["paths"][1].update(id="sepm-agent-https"), "duplicate id sepm-agent-https"),
        (
            lambda d: d["paths"][0].update(ports=[70000]),
            "path 'sepm-agent-https', field 'ports[0]': Input should be less than or equal to 65535",
        ),
        (lambda d: d["paths"][0].update(ports=[443, 443]), "a port is listed twice"),
        (lambda d: d["paths"][0].update(source="blog"), "source 'blog' is not under 'sources'"),
        (lambda d: d["paths"][0].update(protocol="icmp"), "field 'protocol'"),
        (lambda d: d["paths"][0].update(bogus=1), "unknown field"),
        (lambda d: d["paths"][0].update(id="sepm-agent-https\n"), "is not a valid id"),
        (lambda d: d["destinations"].update({"lua\n": {"en": "x"}}), "is not a destination kind"),
        (lambda d: d["destinations"].update({"ports": {"en": "x"}}), "'ports' is reserved"),
        (lambda d: d["changes"][0]["added"].pop(), "paths never recorded as added: clients-push-mac"),
        (lambda d: d["sources"]["kb-158445"].update(url="http://x"), "field 'sources.kb-158445.url'"),
        # Texts reach plan warnings and `catalog internal`: one line, no controls, like the vendor catalog's.
        (lambda d: d["paths"][0].update(caveat="x\u2028http_access allow all"), "field 'caveat'"),
        (lambda d: d["paths"][0]["usage"].update(en="x\ny"), "field 'usage.en'"),
        (lambda d: d["sources"]["kb-158445"].update(language="fr\n"), "two-letter language code"),
    ],
)
def test_a_broken_file_is_refused_naming_the_file_and_the_problem(tmp_path: Path, edit: Any, words: str) -> None:
    data = copy.deepcopy(raw_file())
    edit(data)
    path = tmp_path / "internal.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_internal_catalog(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert words in str(caught.value)
