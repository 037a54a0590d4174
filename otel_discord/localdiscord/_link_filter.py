"""Discord's harmful-links filter: a message linking a known-bad host is refused whole.

Discord answers such a message with 400 code 240000 and no ``errors`` object, so a
client cannot tell which embed was to blame; tests use it to make one item of a
batch unacceptable without breaking any limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

HARMFUL_LINK: Final = (400, 240000, "Message blocked by harmful links filter")

_LINK = re.compile(r"https?://([^/\s:?#>)\]]+)", re.IGNORECASE)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for member in value.values():
            yield from _strings(member)
    elif isinstance(value, list):
        for member in value:
            yield from _strings(member)


def links_blocked_host(payload: object, hosts: frozenset[str]) -> bool:
    """Whether any text of the message links one of ``hosts`` (or a subdomain of one)."""
    if not hosts or not isinstance(payload, dict):
        return False
    for text in _strings({k: payload.get(k) for k in ("content", "embeds")}):
        for match in _LINK.finditer(text):
            host = match.group(1).lower().rstrip(".")
            if any(host == bad or host.endswith(f".{bad}") for bad in hosts):
                return True
    return False
