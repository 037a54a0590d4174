"""The Host header check that stops DNS rebinding against our local HTTP servers.

A web page on ``evil.example`` can make its name resolve to 127.0.0.1 and then
read whatever a local server answers (``/_local/messages`` of the preview). The
browser still sends ``Host: evil.example``: a server that answers only the names
it is bound to (and IP literals, which cannot be rebound) is out of reach.
"""

from __future__ import annotations

import ipaddress


def host_allowed(header: str | None, bound_host: str, port: int) -> bool:
    """Whether a request with this Host header may be served by a server on ``bound_host``.

    A missing header is allowed (HTTP/1.0 tools send none; browsers always do).
    """
    if header is None:
        return True
    value = header.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else rest
    else:
        name, _, port_text = value.partition(":")
    if port_text and port_text != str(port):
        return False
    if name in ("localhost", bound_host.strip("[]").lower()):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
