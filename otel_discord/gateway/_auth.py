"""Bearer-token check for the receiver (constant-time; the token never appears in output)."""

from __future__ import annotations

import hmac


def bearer_matches(header: str | None, token: str | None) -> bool:
    """True when no token is required, or ``header`` is ``Bearer <token>``."""
    if token is None:
        return True
    if not header:
        return False
    scheme, _, presented = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())
