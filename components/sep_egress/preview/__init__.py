"""An offline ``pulumi preview``: run the real ``__main__.py`` under Pulumi's mock engine with a stack's config.

No cloud credentials and no Pulumi CLI: what the program would register (type, name, parent, inputs), the
plan's warnings, and, against another git revision, what would be added, removed, changed or replaced.

The data flows through the files in this order:

- ``config.py``: the stack's config as the engine passes it to the program (``engine_config``), checked first;
- ``run.py``: the program run under the mock engine, here (``run_preview``) or at another git revision
  (``preview_at_revision``), its registrations read into a ``Preview`` (``model.py``);
- ``controls.py``: what each control allows, read from its inputs (``destinations``, ``review_lines``);
- ``diff.py``: two previews compared (``diff_previews``, ``classify_changes``), with the inputs whose change forces
  a replacement (``REPLACE_ON_CHANGES``);
- ``render.py``: the preview and its diff as JSON, plain text or markdown.
"""

from .config import engine_config
from .controls import destinations, review_lines
from .diff import REPLACE_ON_CHANGES, classify_changes, diff_previews
from .model import Preview, PreviewError, PreviewResource
from .render import render_json, render_markdown, render_text
from .run import preview_at_revision, run_preview

__all__ = [
    "REPLACE_ON_CHANGES",
    "Preview",
    "PreviewError",
    "PreviewResource",
    "classify_changes",
    "destinations",
    "diff_previews",
    "engine_config",
    "preview_at_revision",
    "render_json",
    "render_markdown",
    "render_text",
    "review_lines",
    "run_preview",
]
