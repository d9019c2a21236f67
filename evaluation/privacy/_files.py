"""Reading outgoing and stored files as text, shared by the leak scan and the gate."""

from __future__ import annotations

import re

BINARY_PARTS = (".png", ".jpeg", ".jpg", ".gif", ".emf", ".wmf", ".bin", ".tif", ".tiff")
"""Members of an Office zip that hold images or binary blobs, never text."""

TAG = re.compile(r"<[^>]+>")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1250: the encodings the field uses."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1250", errors="replace")


def is_text_part(member: str) -> bool:
    """Whether a zip member is a file holding text (not a folder, not an image)."""
    return not member.endswith("/") and not member.lower().endswith(BINARY_PARTS)
