"""The local Discord's glue for uploads: a multipart create's payload and files, and the
read API that serves stored files (``GET /_local/attachments/{id}/{filename}``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from otel_discord.localdiscord import _routes as r
from otel_discord.localdiscord._model import Message
from otel_discord.localdiscord._routes import Reply
from otel_discord.localdiscord._uploads import (
    FILES_PATH,
    Refusal,
    StoredFile,
    read_upload,
    store_files,
)


def is_multipart(content_type: str) -> bool:
    return content_type.split(";", maxsplit=1)[0].strip().lower() == "multipart/form-data"


def _refusal_reply(refusal: Refusal, rl: dict[str, str]) -> Reply:
    if refusal.errors is not None:
        return r.invalid_form_body(refusal.errors, rl)
    reply = r.error(refusal.status, refusal.code, refusal.message, headers=rl)
    reply.close = refusal.status == 413
    return reply


def read_files(
    body: bytes, content_type: str, limit: int, new_id: Callable[[], str], rl: dict[str, str]
) -> tuple[object, list[StoredFile], list[str]] | Reply:
    """(payload, files, ignored form fields) of a multipart create, or the refusal."""
    upload = read_upload(body, content_type, limit)
    if isinstance(upload, Refusal):
        return _refusal_reply(upload, rl)
    files = store_files(upload, new_id)
    if isinstance(files, Refusal):
        return _refusal_reply(files, rl)
    return upload.payload, files, upload.ignored


def find_file(messages: Sequence[Message], attachment_id: str) -> StoredFile | None:
    """The stored file with this attachment id, in any message."""
    for message in messages:
        for file in message.files:
            if file.id == attachment_id:
                return file
    return None


def file_reply(path: str, messages: Sequence[Message]) -> Reply | None:
    """The stored file at ``path`` (404 if unknown); None when ``path`` is not a file path."""
    prefix = FILES_PATH + "/"
    if not path.startswith(prefix):
        return None
    found = find_file(messages, path[len(prefix) :].partition("/")[0])
    if found is None or found.path != path:
        return r.error(*r.NOT_FOUND)
    headers = {
        "Content-Type": found.content_type,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Reply(200, found.data, headers)


def attachment_urls(message: Message, base_url: str) -> dict[str, dict[str, Any]]:
    """Each stored file's attachment object by filename, with absolute URLs."""
    return {f.filename: f.to_json(base_url + f.path) for f in message.files}
