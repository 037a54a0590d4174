"""Files that travel with a message: the charts of the performance channel.

A message with files is sent as multipart/form-data: the JSON body goes in the
``payload_json`` part, each file in a ``files[n]`` part, and the body's
``attachments`` list names them (``{"id": n, "filename": ...}``) so an embed can
show one through ``"image": {"url": "attachment://<filename>"}``.

A payload that carries files is a :class:`FilePayload`: the same JSON-ready dict,
with the files beside it, so a batch keeps each message and its files together
through retries. A plain copy (``dict(payload)``) carries none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from otel_discord.render import limits
from otel_discord.render.types import Embed, Payload

SCHEME: Final = "attachment://"
_MEDIA: Final = ("image", "thumbnail")


@dataclass(frozen=True)
class Attachment:
    """One file, in memory."""

    filename: str
    data: bytes = field(repr=False)
    content_type: str = "image/png"
    description: str = ""


class FilePayload(dict[str, Any]):
    """A message body (a plain JSON-ready dict) that carries ``files`` beside it."""

    def __init__(self, payload: Mapping[str, Any], files: Sequence[Attachment]) -> None:
        super().__init__(payload)
        self.files: tuple[Attachment, ...] = tuple(files)


def files_of(payload: Payload) -> tuple[Attachment, ...]:
    """The files travelling with ``payload`` (none for a plain dict)."""
    return payload.files if isinstance(payload, FilePayload) else ()


def referenced(embeds: Iterable[Embed]) -> list[str]:
    """Filenames the embeds show through ``attachment://``, in order, without repeats."""
    names: list[str] = []
    for embed in embeds:
        for key in _MEDIA:
            media = embed.get(key)
            url = media.get("url") if isinstance(media, Mapping) else None
            if isinstance(url, str) and url.startswith(SCHEME):
                name = url[len(SCHEME) :]
                if name not in names:
                    names.append(name)
    return names


def _without_refs(embed: Embed, keep: set[str]) -> Embed:
    """``embed`` minus image/thumbnail references to files not in ``keep``."""
    out = dict(embed)
    for key in _MEDIA:
        media = out.get(key)
        url = media.get("url") if isinstance(media, Mapping) else None
        if isinstance(url, str) and url.startswith(SCHEME) and url[len(SCHEME) :] not in keep:
            del out[key]
    return out


def attach(payload: Payload, available: Mapping[str, Attachment]) -> Payload:
    """The payload with the files its embeds show; references to missing files are removed."""
    embeds = list(payload.get("embeds") or [])
    names = [n for n in referenced(embeds) if n in available]
    body = {k: v for k, v in payload.items() if k != "attachments"}
    if len(names) != len(referenced(embeds)):
        body["embeds"] = [_without_refs(e, set(names)) for e in embeds]
    if not names:
        return body
    files = [available[n] for n in names]
    body["attachments"] = [
        {
            "id": i,
            "filename": f.filename,
            **({"description": f.description} if f.description else {}),
        }
        for i, f in enumerate(files)
    ]
    return FilePayload(body, files)


def text_only(payload: Payload) -> Payload:
    """The same message without its files (a plain dict): the fallback after a 413."""
    return attach(payload, {})


@dataclass
class FileBudget:
    """What the packer has put in one message so far: files by name, and their bytes."""

    files: dict[str, Attachment] = field(default_factory=dict)
    size: int = 0

    def fits(self, more: Sequence[Attachment]) -> bool:
        """Whether ``more`` can join: ≤ 10 files, ≤ the byte budget, no name twice."""
        names = {f.filename for f in more}
        return (
            not names & self.files.keys()
            and len(names) == len(more)
            and len(self.files) + len(more) <= limits.MESSAGE_ATTACHMENTS
            and self.size + sum(len(f.data) for f in more) <= limits.PACKED_FILE_BYTES
        )

    def add(self, more: Sequence[Attachment]) -> None:
        for file in more:
            self.files[file.filename] = file
            self.size += len(file.data)


def request_content(payload: Payload) -> dict[str, Any]:
    """httpx keyword arguments for ``payload``: JSON, or multipart when it carries files."""
    files = files_of(payload)
    if not files:
        return {"json": payload}
    text = json.dumps(dict(payload), ensure_ascii=False, separators=(",", ":"))
    return {
        "data": {"payload_json": text},
        "files": [
            (f"files[{i}]", (f.filename, f.data, f.content_type)) for i, f in enumerate(files)
        ],
    }
