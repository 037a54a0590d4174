"""Text that JSON can carry to Discord: lone surrogates replaced, visibly.

A file name decoded with ``surrogateescape`` (or any str built from broken UTF-16)
holds lone surrogates (U+D800..U+DFFF), which UTF-8 cannot encode: the whole
message would fail to serialise. They become U+FFFD, one for one, so lengths
counted against Discord's limits do not change.
"""

from __future__ import annotations

import re
from typing import Final

REPLACEMENT: Final = "\ufffd"
_UNENCODABLE: Final = re.compile("[\ud800-\udfff]")


def json_safe(text: str) -> str:
    """``text`` with every code point UTF-8 cannot encode replaced by U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _UNENCODABLE.sub(REPLACEMENT, text)
    return text
