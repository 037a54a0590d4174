"""Synthetic gateway traffic: what a busy hour of a bot looks like, compressed."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from otel_discord.offline import payloads as g
from otel_discord.offline.bot import World

storm_log = logging.getLogger("astrobot.voice")

COMMANDS = ("!play lofi", "!play synthwave", "!queue", "!skip", "!lyrics", "!play x timeout:30s")
WEIGHTS = (30, 20, 15, 12, 8, 4)
STORM_KINDS = (
    ("TimeoutError", "voice.connect timed out after 10 s"),
    ("HTTPException", "429 Too Many Requests on channel.send"),
    ("KeyError", "'guild_id' missing in voice state"),
    ("ConnectionResetError", "gateway socket reset by peer"),
    ("RuntimeError", "audio source closed unexpectedly"),
)


class Traffic:
    """One tick of traffic per call; phases make storms and spikes happen at set times."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.users = [g.user(name=name) for name in ("alice", "bob", "chen", "dara", "eli", "fay")]
        self.joined: list[dict[str, Any]] = []
        self.in_voice: set[str] = set()
        self.second_guild = g.snowflake()

    def tick(self) -> None:
        """A second of activity: chatter, commands, reactions, voice and joins."""
        w, rng = self.world, self.rng
        for _ in range(rng.randint(3, 8)):
            w.say(rng.choice(("hi", "nice track", "gg", "brb", "🔥🔥")), rng.choice(self.users))
        for _ in range(rng.randint(1, 3)):
            w.say(rng.choices(COMMANDS, WEIGHTS)[0], rng.choice(self.users))
        if rng.random() < 0.02:
            w.say("!dance", rng.choice(self.users))  # an unknown command
        if rng.random() < 0.5:
            self._react()
        if rng.random() < 0.3:
            self._voice()
        if rng.random() < 0.15:
            self._member()

    def _react(self) -> None:
        w = self.world
        message_id = g.snowflake()
        user = self.rng.choice(self.users)
        kind = "MESSAGE_REACTION_ADD" if self.rng.random() < 0.8 else "MESSAGE_REACTION_REMOVE"
        emoji = self.rng.choice(("\N{THUMBS UP SIGN}", "\N{HEAVY BLACK HEART}", "\N{FIRE}"))
        payload = g.reaction(
            user["id"],
            w.text_id,
            message_id,
            guild_id=w.guild_id,
            emoji=emoji,
            reacting_member=g.member(user),
        )
        w.feed(kind, payload)

    def _voice(self) -> None:
        w = self.world
        user = self.rng.choice(self.users)
        joined = user["id"] in self.in_voice
        channel = None if joined else w.voice_id
        (self.in_voice.discard if joined else self.in_voice.add)(user["id"])
        w.feed("VOICE_STATE_UPDATE", g.voice_state(w.guild_id, channel, g.member(user)))

    def _member(self) -> None:
        w = self.world
        if self.joined and self.rng.random() < 0.3:
            user = self.joined.pop()
            w.feed("GUILD_MEMBER_REMOVE", g.guild_member_remove(w.guild_id, user))
            return
        user = g.user(name=f"newcomer{len(self.joined)}")
        self.joined.append(user)
        w.feed("GUILD_MEMBER_ADD", g.guild_member_add(w.guild_id, g.member(user)))

    def join_guild(self) -> None:
        """The bot is invited to a second guild."""
        owner = self.rng.choice(self.users)
        self.world.feed(
            "GUILD_CREATE",
            g.guild_create(self.second_guild, "Synthwave Club", owner["id"], member_count=1204),
        )

    def leave_guild(self) -> None:
        self.world.feed("GUILD_DELETE", g.guild_delete(self.second_guild))

    def storm(self, errors: int = 600) -> None:
        """A burst of errors of a few kinds, as a failing dependency produces them."""
        for i in range(errors):
            kind, message = STORM_KINDS[i % len(STORM_KINDS)]
            storm_log.error("%s: %s", kind, message)


def cpu_spike(seconds: float, stop: threading.Event) -> Callable[[], None]:
    """Busy threads (one per core) for ``seconds``; returns the function to run in a thread."""

    def burn() -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not stop.is_set():
            sum(i * i for i in range(2000))

    return burn
