"""Button clicks and modal submits on a real bot: counted and traced with bounded names."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, ClassVar

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


VIEW_HANDLED: list[tuple[str, str]] = []
MODAL_HANDLED: list[str] = []


class OwnHandlerView(discord.ui.View):
    """A persistent view that answers its own errors, as public ticket bots do."""

    def __init__(self, *, call_super: bool = False) -> None:
        super().__init__(timeout=None)
        self.call_super = call_super

    @discord.ui.button(label="Open", custom_id="own:open")
    async def open(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        raise KeyError("ticket-category")

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        VIEW_HANDLED.append((type(error).__name__, str(getattr(item, "custom_id", ""))))
        if self.call_super:
            await super().on_error(interaction, error, item)


class OwnHandlerModal(discord.ui.Modal, title="Report"):
    """discord.py's modal example: on_error answers the user and prints the traceback."""

    text: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Text", custom_id="rp:text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        raise IndexError("list index out of range")

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        MODAL_HANDLED.append(type(error).__name__)


class StaticHandlerView(discord.ui.View):
    """An on_error that is a staticmethod: the shim must call it as the class binds it."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Go", custom_id="static:go")
    async def go(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        raise TimeoutError("upstream")

    @staticmethod
    async def on_error(
        interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        VIEW_HANDLED.append((type(error).__name__, str(getattr(item, "custom_id", ""))))


class TestOwnOnError:
    """A view or modal whose class overrides on_error: its bug fails the click, once."""

    def run_own(self, instrument: Instrument, *, call_super: bool) -> dict[str, Any]:
        instrumentor = instrument()
        VIEW_HANDLED.clear()
        MODAL_HANDLED.clear()
        seen: dict[str, Any] = {}

        async def main() -> None:
            bot = make_bot()
            view = OwnHandlerView(call_super=call_super)
            ticket = TicketView()  # keeps the library's on_error

            def setup(b: Any) -> None:
                b.add_view(view)
                b.add_view(ticket)

            world = await start(bot, setup)
            modal = OwnHandlerModal(custom_id="report:1")
            bot._connection.store_view(modal)
            data = {"custom_id": "own:open", "component_type": BUTTON}
            for _ in range(2):  # one persistent view instance, two clicks
                world.feed("INTERACTION_CREATE", interaction(world, COMPONENT, data))
            text = {"type": 4, "custom_id": "rp:text", "value": "it broke"}
            submit = {"custom_id": "report:1", "components": [{"type": 1, "components": [text]}]}
            world.feed("INTERACTION_CREATE", interaction(world, MODAL_SUBMIT, submit))
            claim = {"custom_id": "ticket:claim", "component_type": BUTTON}
            world.feed("INTERACTION_CREATE", interaction(world, COMPONENT, claim))
            await g.settle()
            seen["shimmed"] = "on_error" in vars(view)
            seen["library's"] = "on_error" in vars(ticket)
            instrumentor.uninstrument()
            seen["left"] = sorted(set(vars(view)) & {"on_error"}) + sorted(
                set(vars(modal)) & {"on_error"}
            )
            await bot.close()

        asyncio.run(main())
        return seen

    def test_override_alone(self, otel: Otel, instrument: Instrument) -> None:
        """The handlers run as before, with the same arguments; both clicks and the submit
        fail with the error reason, each bug gives one error log, and uninstrument leaves
        nothing on the view or the modal."""
        seen = self.run_own(instrument, call_super=False)
        assert [("KeyError", "own:open")] * 2 == VIEW_HANDLED
        assert ["IndexError"] == MODAL_HANDLED
        counts = {
            (a["discord.command.name"], a.get("discord.command.failure_reason", "-")): v
            for a, v in otel.metrics()["discord.commands"]
        }
        assert {
            ("OwnHandlerView.open", "error"): 2,
            ("OwnHandlerModal", "error"): 1,
            ("TicketView.claim", "error"): 1,
        } == counts
        assert ["IndexError", "KeyError", "KeyError", "RuntimeError"] == sorted(
            (log.log_record.attributes or {})["error.type"] for log in otel.error_logs()
        )
        statuses = {s.status.status_code for s in otel.spans()}
        assert {StatusCode.ERROR} == statuses
        assert {"shimmed": True, "library's": False, "left": []} == seen

    def test_override_calling_super(self, otel: Otel, instrument: Instrument) -> None:
        """An override that calls the library's on_error is noted by the shim and by the
        class hook: still one failure and one error log per click."""
        self.run_own(instrument, call_super=True)
        assert [("KeyError", "own:open")] * 2 == VIEW_HANDLED
        counts = {
            (a["discord.command.name"], a.get("discord.command.failure_reason", "-")): v
            for a, v in otel.metrics()["discord.commands"]
        }
        assert 2 == counts[("OwnHandlerView.open", "error")]
        assert ["IndexError", "KeyError", "KeyError", "RuntimeError"] == sorted(
            (log.log_record.attributes or {})["error.type"] for log in otel.error_logs()
        )

    def test_static_on_error(self, otel: Otel, instrument: Instrument) -> None:
        """A staticmethod handler gets the library's arguments, not the view as well."""
        instrument()
        VIEW_HANDLED.clear()

        async def main() -> None:
            bot = make_bot()
            view = StaticHandlerView()
            world = await start(bot, lambda b: b.add_view(view))
            data = {"custom_id": "static:go", "component_type": BUTTON}
            world.feed("INTERACTION_CREATE", interaction(world, COMPONENT, data))
            await g.settle()
            await bot.close()

        asyncio.run(main())
        assert [("TimeoutError", "static:go")] == VIEW_HANDLED
        [(attributes, count)] = otel.metrics()["discord.commands"]
        assert ("StaticHandlerView.go", "error", 1) == (
            attributes["discord.command.name"],
            attributes["discord.command.failure_reason"],
            count,
        )


class BrokenVote(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"bvote:(?P<poll>\d+)"):
    """A dynamic item whose callback has a bug: discord.py logs it and handles it."""

    def __init__(self, poll: int) -> None:
        super().__init__(discord.ui.Button(label="Vote", custom_id=f"bvote:{poll}"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Any, match: Any
    ) -> BrokenVote:
        return cls(int(match["poll"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        raise ZeroDivisionError("no votes yet")


class OwnerOnlyView(discord.ui.View):
    """Only its owner may click: the common "this is not your menu" check."""

    clicked: ClassVar[list[int]] = []

    def __init__(self, owner_id: int) -> None:
        super().__init__(timeout=None)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.owner_id

    @discord.ui.button(label="Confirm", custom_id="confirm:yes")
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        self.clicked.append(interaction.user.id)


class TestRefusedClick:
    """A click the view's own interaction_check refuses is a failed check, not a success."""

    def test_refused_then_allowed(self, otel: Otel, instrument: Instrument) -> None:
        instrumentor = instrument()
        seen: dict[str, Any] = {}

        async def main() -> None:
            bot = make_bot()
            world = await start(bot)
            owner = int(world.alice["id"])
            view = OwnerOnlyView(owner_id=owner + 1)  # someone else's menu first
            bot.add_view(view)
            data = {"custom_id": "confirm:yes", "component_type": BUTTON}
            world.feed("INTERACTION_CREATE", interaction(world, COMPONENT, data))
            await g.settle()
            view.owner_id = owner
            world.feed("INTERACTION_CREATE", interaction(world, COMPONENT, data))
            await g.settle()
            seen["clicked"] = list(OwnerOnlyView.clicked)
            instrumentor.uninstrument()
            seen["left"] = "interaction_check" in vars(view)
            await bot.close()

        OwnerOnlyView.clicked.clear()
        asyncio.run(main())
        assert 1 == len(seen["clicked"])  # the check works as the bot wrote it
        counts = {
            (a["discord.command.outcome"], a.get("discord.command.failure_reason", "-")): v
            for a, v in otel.metrics()["discord.commands"]
        }
        assert {("failure", "check failed"): 1, ("success", "-"): 1} == counts
        refused = [s for s in otel.spans() if (s.attributes or {}).get("error.type")]
        assert ["interaction_check"] == [(s.attributes or {})["error.type"] for s in refused]
        assert StatusCode.ERROR not in {s.status.status_code for s in otel.spans()}
        assert [] == otel.error_logs()
        assert seen["left"] is False


class TestDynamicItemErrors:
    """discord.py logs a failing DynamicItem itself; the click still fails, once."""

    def test_callback_bug_fails_the_click(self, otel: Otel, instrument: Instrument) -> None:
        """Two clicks, one per item: the broken one fails with one error log and an error
        span; discord.py's own record is still logged, unchanged, and uninstrument takes
        the logger's filter off."""
        records: list[logging.LogRecord] = []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                records.append(record)

        view_log = logging.getLogger("discord.ui.view")
        handler = Keep()
        view_log.addHandler(handler)
        instrumentor = instrument()
        filters: list[int] = []

        async def main() -> None:
            bot = make_bot()
            world = await start(bot, lambda b: b.add_dynamic_items(VoteButton, BrokenVote))
            for custom_id in ("vote:42", "bvote:7"):
                payload = interaction(
                    world, COMPONENT, {"custom_id": custom_id, "component_type": BUTTON}
                )
                payload["message"]["components"][0]["components"][0]["custom_id"] = custom_id
                world.feed("INTERACTION_CREATE", payload)
            await g.settle()
            filters.append(len(view_log.filters))
            instrumentor.uninstrument()
            filters.append(len(view_log.filters))
            await bot.close()

        try:
            asyncio.run(main())
        finally:
            view_log.removeHandler(handler)
        counts = {
            (a["discord.command.name"], a.get("discord.command.failure_reason", "-")): v
            for a, v in otel.metrics()["discord.commands"]
        }
        assert {("VoteButton", "-"): 1, ("BrokenVote", "error"): 1} == counts
        [log] = otel.error_logs()
        assert "ZeroDivisionError" == (log.log_record.attributes or {})["error.type"]
        statuses = sorted((s.name, s.status.status_code.name) for s in otel.spans())
        assert [("component BrokenVote", "ERROR"), ("component VoteButton", "UNSET")] == statuses
        assert ["Ignoring exception in dynamic item callback for %r"] == [
            r.msg for r in records if r.exc_info
        ]
        assert [1, 0] == filters


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
