"""Facts about a notebook that both `assign` and `grade` need."""

from __future__ import annotations

from pathlib import Path


def chapter_of(path: Path, nb: dict) -> str:
    """The chapter a notebook belongs to: its `mininn.chapter` metadata, else its file stem."""
    meta = nb.get("metadata", {}).get("mininn", {})
    chapter = meta.get("chapter") if isinstance(meta, dict) else None
    return str(chapter or Path(path).stem)
