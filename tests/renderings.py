"""The vendor article's renderings in tests/data and the edits the drift tests make to them (pytest puts this folder on
sys.path): shared by the `catalog verify` and `catalog propose` tests and those of the `catalog` command."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from sep_egress.cli import main

from support import ROOT, SEED

ENGLISH = ROOT / "tests" / "data" / "vendor-article-en-rendering.txt"


HTML = ROOT / "tests" / "data" / "vendor-article-fr-rendering.html"


RENDERINGS = {"french-text": SEED, "english-text": ENGLISH, "french-html": HTML}


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["catalog", "verify", *args, "--format", "json"])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out else {"stderr": captured.err})


def between(text: str, form: str, *parts: str) -> str:
    """The parts as they follow each other in a rendering: lines in text, paragraphs in the HTML table cells."""
    return ("</p><p>" if form == "french-html" else "\n").join(parts)


def replace_once(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def add_url(text: str, form: str) -> str:
    anchor = "https://ent-shasta-rrs.symantec.com"
    return replace_once(text, anchor, between(text, form, anchor, "https://new-reputation.symantec.com"))


def remove_url(text: str, form: str) -> str:
    url = "https://tus1gwynwapex01.symantec.com"
    return replace_once(text, f"<p>{url}</p>" if form == "french-html" else f"{url}\n", "")


def change_port(text: str, form: str) -> str:
    if form == "french-html":
        return replace_once(
            text, "ent-shasta-rrs.symantec.com</p></td><td><p>443<", "ent-shasta-rrs.symantec.com</p></td><td><p>8443<"
        )
    return replace_once(
        text, "https://ent-shasta-rrs.symantec.com\n443\n", "https://ent-shasta-rrs.symantec.com\n8443\n"
    )


def change_version(text: str, form: str) -> str:
    sentence = "For 14.3 MP1 or later." if form == "english-text" else "Pour 14.3 MP1 ou version ultérieure."
    return replace_once(text, sentence, sentence.replace("MP1", "RU2"))


def move_row(text: str, form: str) -> str:
    """The Linux agent row leaves the agents' table for the ICDm console's."""
    console = "ICDm cloud console" if form == "english-text" else "Console Cloud ICDm"
    if form == "french-html":
        row = re.search(r"<tr>(?:(?!</tr>).)*linux-repo(?:(?!</tr>).)*</tr>", text)
        assert row
        text = text.replace(row.group(0), "", 1)
        return replace_once(text, f"<tr><td><p><b>{console}", row.group(0) + f"<tr><td><p><b>{console}")
    title = "Linux Agent" if form == "english-text" else "Agent Linux"
    bound = "(starting with 14.3 RU1)" if form == "english-text" else "(à partir de la version 14.3 RU1)"
    row_text = f"{title}\nhttps://linux-repo.us.securitycloud.symantec.com {bound}\n443\n"
    text = replace_once(text, row_text, "")
    return replace_once(text, f"{console}\n", row_text + f"{console}\n")


def unstar_url(text: str, form: str) -> str:
    """The `*` of the console's file-staging row goes: that storage URL is no longer tied to the footnote."""
    s3 = "https://us-east-1-s3-symc-prod-saep-edr-samples.s3.amazonaws.com"
    return replace_once(
        text,
        between(text, form, s3, "* https://storage.googleapis.com"),
        between(text, form, s3, "https://storage.googleapis.com"),
    )


EDITS: dict[str, tuple[Callable[[str, str], str], str, str, str, dict[str, object]]] = {
    # name: (edit, kind, role, host, fields that must differ (catalog -> article))
    "url-added": (add_url, "added", "agent", "new-reputation.symantec.com", {}),
    "url-removed": (remove_url, "removed", "agent", "tus1gwynwapex01.symantec.com", {}),
    "port-changed": (
        change_port,
        "changed",
        "agent",
        "ent-shasta-rrs.symantec.com",
        {"ports": {"catalog": [443], "article": [8443]}},
    ),
    "version-changed": (
        change_version,
        "changed",
        "agent",
        "sp.cwfservice.net",
        {"min_version": {"catalog": "14.3 MP1", "article": "14.3 RU2"}},
    ),
    "row-moved": (
        move_row,
        "changed",
        "console",
        "linux-repo.us.securitycloud.symantec.com",
        {"role": {"catalog": "agent", "article": "console"}},
    ),
    "footnote-mark-removed": (
        unstar_url,
        "changed",
        "console",
        "storage.googleapis.com",
        {"storage": {"catalog": "gcp", "article": None}, "footnote": {"catalog": "storage-move", "article": None}},
    ),
}
