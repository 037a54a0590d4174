"""Files on the create routes, as Discord takes them: multipart/form-data with limits.

A message with files is ``payload_json`` (the JSON body) plus ``files[n]`` parts.
Discord's rules checked here: at most 10 files (400 code 30015), at most the upload
limit in total (413 code 40005), every ``attachments[].id`` names an uploaded
``files[n]``, and an embed's ``attachment://<filename>`` image names an uploaded
file that is a png, jpg, webp or gif (by name and by its first bytes). Accepted
files stay in memory with their message (for tests and the preview page).
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

from otel_discord.localdiscord._multipart import MultipartError, Part, parse_multipart

FILES_PATH: Final = "/_local/attachments"
MAX_FILES: Final = 10
UPLOAD_LIMIT: Final = 10 * 1024 * 1024
"""Discord's default upload limit per message (boosted servers allow more)."""
SCHEME: Final = "attachment://"
_FILE_FIELD: Final = re.compile(r"^files\[(\d{1,3})\]$")
_MAGIC: Final = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
}
"""Image types an embed shows, and how their files begin."""
_CONTENT_TYPES: Final = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file, kept in memory with its message."""

    id: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)
    description: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def path(self) -> str:
        """Where the local read API serves it: ``/_local/attachments/{id}/{filename}``."""
        return f"{FILES_PATH}/{self.id}/{quote(self.filename, safe='')}"

    def to_json(self, url: str) -> dict[str, Any]:
        """Discord's attachment object (``url`` where the file is served)."""
        obj: dict[str, Any] = {
            "id": self.id,
            "filename": self.filename,
            "size": self.size,
            "url": url,
            "proxy_url": url,
            "content_type": self.content_type,
        }
        if self.description:
            obj["description"] = self.description
        if self.width is not None and self.height is not None:
            obj["width"], obj["height"] = self.width, self.height
        return obj


@dataclass(frozen=True)
class Refusal:
    """Why an upload is refused: an error code, or Discord's nested 50035 ``errors``."""

    status: int
    code: int
    message: str
    errors: dict[str, Any] | None = None


@dataclass
class Upload:
    """A multipart body read: the JSON payload and the files, not yet checked against it."""

    payload: object
    parts: dict[int, tuple[str, str | None, bytes]] = field(default_factory=dict)
    """files[n] -> (filename, declared content type, bytes)."""
    ignored: list[str] = field(default_factory=list)
    """Names of form fields Discord does not read."""


def _form_error(path: Sequence[str], code: str, message: str) -> Refusal:
    tree: dict[str, Any] = {}
    node = tree
    for part in path:
        node = node.setdefault(part, {})
    node["_errors"] = [{"code": code, "message": message}]
    return Refusal(400, 50035, "Invalid Form Body", tree)


def read_upload(body: bytes, content_type: str, limit: int) -> Upload | Refusal:
    """Split a multipart body into its payload and files; refuse what Discord refuses."""
    try:
        parts = parse_multipart(body, content_type)
    except MultipartError as exc:
        return _form_error((), "MULTIPART_INVALID", str(exc))
    upload = Upload(payload={})
    for part in parts:
        refused = _take(upload, part)
        if refused is not None:
            return refused
    if len(upload.parts) > MAX_FILES:
        return Refusal(
            400, 30015, f"Maximum number of attachments in a message reached ({MAX_FILES})"
        )
    if sum(len(data) for _, _, data in upload.parts.values()) > limit:
        return Refusal(413, 40005, "Request entity too large")
    return upload


def _take(upload: Upload, part: Part) -> Refusal | None:
    """Add one part to ``upload``: the JSON payload, a file, or a field Discord ignores."""
    match = _FILE_FIELD.match(part.name)
    if part.name == "payload_json":
        try:
            upload.payload = json.loads(part.data.decode("utf-8"), parse_constant=_no_constant)
        except (ValueError, RecursionError):
            return Refusal(400, 50109, "The request body contains invalid JSON.")
    elif match is not None:
        index = int(match.group(1))
        if not part.filename:
            return _form_error((part.name,), "BASE_TYPE_REQUIRED", "A file needs a filename")
        if index in upload.parts:
            return _form_error((part.name,), "DUPLICATE_FILE", "This file index is used twice")
        upload.parts[index] = (part.filename, part.content_type, part.data)
    else:
        upload.ignored.append(part.name)
    return None


def store_files(upload: Upload, new_id: Callable[[], str]) -> list[StoredFile] | Refusal:
    """The files named as the payload's ``attachments`` say (filename, description)."""
    payload = upload.payload if isinstance(upload.payload, dict) else {}
    described: dict[int, Mapping[str, Any]] = {}
    listed = payload.get("attachments")
    for i, item in enumerate(listed if isinstance(listed, list) else []):
        ident = item.get("id") if isinstance(item, dict) else None
        index = int(ident) if isinstance(ident, (int, str)) and str(ident).isdigit() else None
        if index is None or index not in upload.parts:
            return _form_error(
                ("attachments", str(i), "id"),
                "ATTACHMENT_NOT_FOUND",
                f"No files[{ident}] was uploaded for this attachment",
            )
        described[index] = item
    stored: list[StoredFile] = []
    for index in sorted(upload.parts):
        name, declared, data = upload.parts[index]
        meta = described.get(index, {})
        filename = str(meta.get("filename") or name).strip()
        ext = _extension(filename)
        width, height = _size(data)
        stored.append(
            StoredFile(
                id=new_id(),
                filename=filename,
                content_type=_CONTENT_TYPES.get(ext) or declared or "application/octet-stream",
                data=data,
                description=str(meta["description"]) if meta.get("description") else None,
                width=width,
                height=height,
            )
        )
    return stored


def check_references(payload: object, files: Sequence[StoredFile]) -> Refusal | None:
    """Every ``attachment://`` image of an embed names an uploaded image file."""
    embeds = payload.get("embeds") if isinstance(payload, dict) else None
    by_name = {f.filename: f for f in files}
    for i, embed in enumerate(embeds if isinstance(embeds, list) else []):
        if not isinstance(embed, dict):
            continue
        for key in ("image", "thumbnail"):
            media = embed.get(key)
            url = media.get("url") if isinstance(media, dict) else None
            if not (isinstance(url, str) and url.strip().startswith(SCHEME)):
                continue
            name = url.strip()[len(SCHEME) :]
            path = ("embeds", str(i), key, "url")
            found = by_name.get(name)
            if found is None:
                return _form_error(
                    path, "ATTACHMENT_NOT_FOUND", f"{name!r} is not a file of this message"
                )
            if not is_image(found.filename, found.data):
                return _form_error(
                    path, "IMAGE_INVALID", f"{name!r} is not a png, jpg, webp or gif image"
                )
    return None


def is_image(filename: str, data: bytes) -> bool:
    """A png, jpg, webp or gif by its name, and its first bytes agree."""
    magic = _MAGIC.get(_extension(filename))
    if magic is None or not data.startswith(magic):
        return False
    return _extension(filename) != ".webp" or data[8:12] == b"WEBP"


def _extension(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def _size(data: bytes) -> tuple[int | None, int | None]:
    """Width and height of a PNG or GIF (from its header), else unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    return None, None


def _no_constant(name: str) -> object:
    msg = f"{name} is not JSON"
    raise ValueError(msg)
