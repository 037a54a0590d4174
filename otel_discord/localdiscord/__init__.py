"""The strict local Discord: Discord's message routes on loopback, as strict as Discord.

``DiscordServer`` serves Discord's message routes on 127.0.0.1 from a daemon
thread and behaves the way Discord does, so code that passes against it behaves
on Discord too:

- ``POST /api/v10/webhooks/{id}/{token}`` (``?wait=true`` returns the message
  object, else 204) and ``POST /api/v10/channels/{id}/messages`` with
  ``Authorization: Bot <token>``; ``GET`` of a webhook or channel for checks.
- Get, Edit (``PATCH``) and Delete of one message on both routes
  (``.../webhooks/{id}/{token}/messages/{message_id}``,
  ``/channels/{id}/messages/{message_id}``): edits are validated like creates, run
  in buckets of their own, and answer 404 code 10008 for an unknown or deleted
  message and 403 code 50005 for a bot editing another author's.
- Validation of every limit (counted in code points after stripping), answered
  with 400 code 50035 and Discord's nested ``errors`` shape, 50006 for empty
  messages, 50109 for bad JSON, 413 code 40005 for oversized bodies.
- 401 (50027 or 0), 403 (50001 / 50013), 404 (10015 / 10003) like Discord.
- ``X-RateLimit-*`` headers on every answer and 429s per webhook (scope user),
  per channel across all its posters (scope shared, code 20028) and global.
- Faults on demand (``inject(Fault.X)``), ``delete_webhook``, ``delete_message``,
  ``down()``/``up()``; ``block_links(host)`` refuses messages linking a host with
  400 code 240000, as Discord's harmful-links filter does.
- Violations recorded, never raised: sending while ``Remaining`` was 0, ignoring
  ``retry_after``, missing or permissive ``allowed_mentions``, unknown JSON keys,
  coming back after 401/403/404, no ``DiscordBot (...)`` User-Agent, unversioned
  API paths, a non-JSON content type.

Usage::

    from otel_discord.localdiscord import DiscordServer, Fault

    with DiscordServer(webhook_limit=(5, 0.2)) as srv:
        url = srv.create_webhook("logs")  # unversioned, as Discord's UI shows it
        ...  # post to url with /api/v10/, a DiscordBot User-Agent and allowed_mentions
        assert srv.violations == []
        print(srv.embeds("logs"), srv.stats())

Read API over HTTP (for a preview page): ``GET /_local/messages?channel=NAME&after=ID``
returns ``{"messages": [...]}`` (each as it is now, with ``edited_at``);
``GET /_local/changes?channel=NAME&since=REVISION`` the edits and deletions since
then; ``GET /_local/channels``, ``/_local/violations`` and
``/_local/stats`` return the other records. None of them ever includes a token.

Tests reach it through :mod:`otel_discord.testing` (its public face, with the
``discord_server`` pytest fixture); the preview and the demo use it directly.
"""

from __future__ import annotations

from otel_discord.localdiscord._model import Fault, Message, Stats, Violation, ViolationKind
from otel_discord.localdiscord._server import DiscordServer
from otel_discord.localdiscord._validate import Verdict, check_message

__all__ = [
    "DiscordServer",
    "Fault",
    "Message",
    "Stats",
    "Verdict",
    "Violation",
    "ViolationKind",
    "check_message",
]
