"""Paths and small helpers shared by the test modules (pytest puts this folder on sys.path)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "data" / "vendor-article-fr.txt"
SHARED_SEED = ROOT.parent / "shared" / "seed" / "000_e63e462fe2a2c458.txt"
PROJECT_SCHEMA = ROOT / "tests" / "data" / "pulumi-project.schema.json"
SHARED_PROJECT_SCHEMA = ROOT.parent / "shared" / "reference" / "pulumi-project.schema.json"
