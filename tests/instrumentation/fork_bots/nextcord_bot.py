"""A nextcord bot shaped like tsoumagas-benjamin/NextcordBot (a public multi-cog bot).

Its patterns: a ``commands.AutoShardedBot`` subclass overriding ``get_prefix`` with a
per-guild prefix lookup, an ``on_message`` that ignores bots, calls ``process_commands``
and answers keywords, ``on_guild_join`` seeding per-guild settings, slash commands in
cogs guarded by ``application_checks``, and an ``Error`` cog whose ``on_command_error``
listener answers user mistakes and re-raises anything else; a ``/ticket`` panel in the shape
of nextcord's view examples: a view with a string select and buttons (one opening a
``nextcord.ui.Modal`` with a ``TextInput``, one added per ticket at runtime). No telemetry
code.

Run as a script it plays :data:`scenario` offline (used under ``opentelemetry-instrument``).
"""

# No ``from __future__ import annotations``: nextcord reads option types from live annotations.
import itertools
from typing import Any

import nextcord
from nextcord import Interaction
from nextcord.ext import application_checks, commands
from nextcord.webhook.async_ import async_context

from tests.instrumentation.fork_offline import World, run_bot

OWNER_ID = 4242
PREFIXES: dict[int, str] = {}
SETTINGS: dict[int, dict[str, Any]] = {}


class NextcordBot(commands.AutoShardedBot):
    async def get_prefix(self, message: nextcord.Message) -> str:  # type: ignore[override]
        guild_id = message.guild.id if message.guild else 0
        return PREFIXES.setdefault(guild_id, "$")


class TicketModal(nextcord.ui.Modal):
    def __init__(self) -> None:
        super().__init__("Open a ticket", custom_id="ticket:modal")
        self.topic = nextcord.ui.TextInput(label="Topic", custom_id="ticket:topic")
        self.add_item(self.topic)

    async def callback(self, interaction: Interaction) -> None:
        if self.topic.value == "legal":
            raise LookupError("no category for legal tickets")  # a bug its on_error answers
        await interaction.send(f"Ticket opened: {self.topic.value}")

    async def on_error(self, error: Exception, interaction: Interaction) -> None:
        # answers the user and prints nothing, as many public bots' modals do
        await interaction.send("Sorry, that went wrong.", ephemeral=True)


class TicketView(nextcord.ui.View):
    def __init__(self, ticket: int) -> None:
        super().__init__(timeout=None)
        close = nextcord.ui.Button(label="Close", custom_id=f"ticket:close:{ticket}")
        close.callback = self.close
        self.add_item(close)

    @nextcord.ui.select(
        placeholder="Pick a category",
        custom_id="ticket:category",
        options=[nextcord.SelectOption(label="Billing"), nextcord.SelectOption(label="Bug")],
    )
    async def category(self, select: nextcord.ui.StringSelect, interaction: Interaction) -> None:
        await interaction.send(f"Category: {select.values[0]}")

    @nextcord.ui.button(label="Open", custom_id="ticket:open")
    async def open(self, button: nextcord.ui.Button, interaction: Interaction) -> None:
        await interaction.response.send_modal(TicketModal())

    @nextcord.ui.button(label="Transcript", custom_id="ticket:transcript")
    async def transcript(self, button: nextcord.ui.Button, interaction: Interaction) -> None:
        raise KeyError("transcripts")  # the transcript channel was never configured: a bug

    async def close(self, interaction: Interaction) -> None:
        self.stop()
        await interaction.send("Ticket closed.")


class Fun(commands.Cog, name="Fun"):
    """Commands for fun"""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.command()
    async def ping(self, ctx: commands.Context) -> None:
        await ctx.send("Pong!")

    @commands.command()
    @commands.cooldown(1, 60, commands.BucketType.user)
    async def daily(self, ctx: commands.Context) -> None:
        await ctx.send("Here is your daily quote.")

    @commands.command()
    async def poll(self, ctx: commands.Context, question: str) -> None:
        await ctx.send(f"Poll: {question}")

    @commands.command()
    async def leaderboard(self, ctx: commands.Context) -> None:
        raise KeyError("leaderboard")  # a missing database key: a bug

    @nextcord.slash_command()
    async def roll(self, interaction: Interaction, sides: int = 6) -> None:
        """Roll a die"""
        await interaction.send(f"You rolled {min(sides, 4)}")

    @nextcord.slash_command()
    async def trivia(self, interaction: Interaction) -> None:
        """Start a trivia round"""
        raise RuntimeError("trivia kaboom")

    @nextcord.user_command(name="Profile")
    async def profile(self, interaction: Interaction, member: nextcord.Member) -> None:
        await interaction.send(f"{member.name}'s profile")

    @nextcord.message_command(name="Quote")
    async def quote(self, interaction: Interaction, message: nextcord.Message) -> None:
        await interaction.send("Quoted!")


class Moderation(commands.Cog, name="Moderation"):
    """Commands for moderation"""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.tickets = itertools.count(1)

    @nextcord.slash_command()
    async def ticket(self, interaction: Interaction) -> None:
        """Open the support panel"""
        await interaction.send("How can we help?", view=TicketView(next(self.tickets)))

    @nextcord.slash_command()
    @application_checks.is_owner()
    async def sync(self, interaction: Interaction) -> None:
        """Manually syncs all application commands with Discord"""
        await interaction.send("Commands synced!")

    @nextcord.slash_command()
    @application_checks.has_permissions(manage_messages=True)
    async def warn(self, interaction: Interaction, member: nextcord.Member) -> None:
        """Warn a member"""
        await interaction.send(f"{member.name} has been warned.")


class Error(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_command_error(self, ctx: commands.Context, error: Exception) -> None:
        if isinstance(error, commands.MissingRequiredArgument):
            message = f"`{error.param.name}` is a required argument."
        elif isinstance(error, commands.CommandOnCooldown):
            message = "This command is on cooldown."
        elif isinstance(error, commands.CommandNotFound):
            message = "Could not find the command."
        else:
            raise error
        await ctx.send(message)


def build() -> commands.AutoShardedBot:
    intents = nextcord.Intents.default()
    intents.members = True
    intents.message_content = True
    bot = NextcordBot(
        intents=intents,
        owner_id=OWNER_ID,
        shard_count=1,
        guild_ready_timeout=0,
        chunk_guilds_at_startup=False,
    )

    @bot.event
    async def on_guild_join(guild: nextcord.Guild) -> None:
        SETTINGS.setdefault(guild.id, {"status": True, "sad": ["sad"]})
        PREFIXES.setdefault(guild.id, "$")

    @bot.event
    async def on_member_join(member: nextcord.Member) -> None:
        SETTINGS[member.guild.id]["welcome_channel"].send("Welcome!")  # never configured

    @bot.event
    async def on_message(message: nextcord.Message) -> None:
        if message.author.bot:
            return
        await bot.process_commands(message)
        settings = SETTINGS.get(message.guild.id, {}) if message.guild else {}
        if settings.get("status") and any(w in message.content for w in settings["sad"]):
            await message.channel.send("Cheer up!")

    for cog in (Fun(bot), Moderation(bot), Error(bot)):
        bot.add_cog(cog)
    # What on_connect does before syncing with Discord: register the commands locally.
    bot.add_all_application_commands()
    return bot


async def scenario(world: World) -> None:
    """Prefix and slash commands, checks, cooldowns, typos, a menu, joins and reactions."""
    for _ in range(2):
        world.say("$ping")
        world.say("I am sad today")
    world.say("$daily")
    world.say("$daily")  # on cooldown: answered by the Error cog
    world.say("$poll")  # missing argument: answered by the Error cog
    world.say("$nosuch")  # unknown: answered by the Error cog
    world.say("$leaderboard")  # a bug: the Error cog re-raises it
    world.interact("roll", options=[{"name": "sides", "type": 4, "value": 20}])
    world.interact("roll")
    world.interact("trivia")  # a bug
    world.interact("sync")  # not the owner: ApplicationNotOwner
    world.interact(
        "warn",
        options=[{"name": "member", "type": 6, "value": world.alice["id"]}],
        resolved={"users": {world.alice["id"]: world.alice}},
    )
    world.interact("nosuch")  # unknown application command
    world.message_menu("Quote")
    world.user_menu("Profile")
    world.member_joins("newbie")  # on_member_join raises
    world.react()
    world.interact("ticket")
    await world.settle()  # the panel is sent: its view now listens
    world.click("ticket:category", values=["Bug"])
    world.click("ticket:transcript")  # a bug: nextcord's View.on_error prints it
    world.click("ticket:open")
    await world.settle()  # the modal is open
    world.submit("ticket:modal", {"ticket:topic": "refund"})
    world.click("ticket:open")
    await world.settle()
    world.submit("ticket:modal", {"ticket:topic": "legal"})  # handled by the modal's on_error
    world.click("ticket:close:1")  # a custom_id with a number: named ticket:close:#


ADAPTER: Any = async_context.get()

if __name__ == "__main__":
    run = run_bot(build, ADAPTER, scenario, capture=False)
    print("\n".join(run.replies))
