"""Button clicks and modal submits on a real bot: counted and traced with bounded names."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import discord
from opentelemetry.trace import StatusCode

from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.instrumentation._components import stable_prefix
from otel_discord.offline import payloads as g
from tests.instrumentation.harness import Otel, World, make_bot, start

Instrument = Callable[..., DiscordInstrumentor]
COMPONENT, MODAL_SUBMIT, BUTTON = 3, 5, 2


class TicketView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Close", custom_id="ticket:close")
    async def close(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        pass

    @discord.ui.button(label="Claim", custom_id="ticket:claim")
    async def claim(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        raise RuntimeError("no staff role")


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Text", custom_id="fb:text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        pass


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"vote:(?P<poll>\d+)"):
    def __init__(self, poll: int) -> None:
        super().__init__(discord.ui.Button(label="Vote", custom_id=f"vote:{poll}"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Any, match: Any
    ) -> VoteButton:
        return cls(int(match["poll"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        pass


VOTE_ROW = {
    "type": 1,
    "components": [{"type": 2, "style": 1, "label": "Vote", "custom_id": "vote:42"}],
}


def interaction(world: World, kind: int, data: dict[str, Any]) -> dict[str, Any]:
    where = {"guild_id": world.guild_id, "channel_id": world.text_id}
    payload = g.interaction_create(world.application_id, "", invoker=world.alice, **where)
    payload["type"] = kind
    payload["data"] = data
    if kind == COMPONENT:
        message = g.message_create(world.text_id, world.bot_user, "x", guild_id=world.guild_id)
        payload["message"] = {**message, "components": [VOTE_ROW]}
    return payload


def run(scenario: Callable[[World], None]) -> None:
    async def main() -> None:
        bot = make_bot()

        def setup(b: Any) -> None:
            b.add_view(TicketView())
            b.add_dynamic_items(VoteButton)

        world = await start(bot, setup)
        modal = FeedbackModal(custom_id="feedback:8d2f0c9a1b7e4f33")
        bot._connection.store_view(modal)
        scenario(world)
        await g.settle()
        await bot.close()

    asyncio.run(main())


class TestClicksAndSubmits:
    """Kind component/modal, outcome from the view's on_error, names from class and callback."""

    def test_counted_and_traced(self, otel: Otel, instrument: Instrument) -> None:
        instrument()

        def scenario(world: World) -> None:
            for custom_id in ("ticket:close", "ticket:close", "ticket:claim", "vote:42"):
                data = {"custom_id": custom_id, "component_type": BUTTON}
                world.feed("INTERACTION_CREATE", interaction(world, COMPONENT, data))
            text = {"type": 4, "custom_id": "fb:text", "value": "great bot"}
            submit = {
                "custom_id": "feedback:8d2f0c9a1b7e4f33",
                "components": [{"type": 1, "components": [text]}],
            }
            world.feed("INTERACTION_CREATE", interaction(world, MODAL_SUBMIT, submit))

        run(scenario)
        counts = {
            (
                a["discord.command.name"],
                a["discord.command.kind"],
                a.get("discord.command.failure_reason", "-"),
            ): v
            for a, v in otel.metrics()["discord.commands"]
        }
        assert {
            ("TicketView.close", "component", "-"): 2,
            ("TicketView.claim", "component", "error"): 1,
            ("FeedbackModal", "modal", "-"): 1,
            ("VoteButton", "component", "-"): 1,
        } == counts
        statuses = sorted((s.name, s.status.status_code.name) for s in otel.spans())
        assert [
            ("component TicketView.claim", StatusCode.ERROR.name),
            ("component TicketView.close", StatusCode.UNSET.name),
            ("component TicketView.close", StatusCode.UNSET.name),
            ("component VoteButton", StatusCode.UNSET.name),
            ("modal FeedbackModal", StatusCode.UNSET.name),
        ] == statuses
        [log] = otel.error_logs()
        assert "RuntimeError" == (log.log_record.attributes or {})["error.type"]


class TestNames:
    """A custom_id never becomes a name as is when it embeds ids."""

    def test_stable_prefix(self) -> None:
        assert [
            "ticket:close:#",
            "vote-#-#",
            "#",
            "menu",
            "feedback",
        ] == [
            stable_prefix("ticket:close:1187654321098765432"),
            stable_prefix("vote-12-4f9a2c"),
            stable_prefix("9f86d081884c7d659a2feaa0c55ad015"),
            stable_prefix("menu"),
            stable_prefix("feedback"),
        ]
