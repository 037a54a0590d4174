"""A real discord.py bot without Discord: raw gateway payloads and an offline bot.

- :mod:`otel_discord.offline.payloads` builds the raw gateway payloads (API v10)
  Discord sends and feeds them to discord.py's own parsers.
- :mod:`otel_discord.offline.bot` makes a logged-in bot in one guild whose REST
  calls are answered locally (``make_bot``, ``start``, ``FakeGateway``).

Used by tests (yours and ours) and by ``otel-discord demo``. Importing this package
does not import discord.py; importing ``bot`` does.
"""
