"""A disnake bot in the shape disnake's own examples and guides teach.

Its patterns: ``commands.Bot`` with a prefix and ``command_sync_flags``, slash commands
taking ``disnake.ApplicationCommandInteraction`` with a sub-command group (``tag
create``), user and message commands, a cog with prefix commands and its own
``cog_slash_command_error``, and global ``on_slash_command_error`` /
``on_command_error`` handlers that answer user mistakes and re-raise the rest; a
``/verify`` panel in the shape of disnake's view examples (a view with a string select and
buttons, one opening a ``disnake.ui.Modal`` with a ``TextInput``, one added per panel at
runtime), and disnake's low-level components: buttons and a modal sent without a view
object, answered by ``on_button_click`` / ``on_modal_submit`` listeners in the bot and in
a cog. No telemetry code.

Run as a script it plays :func:`scenario` offline (used under ``opentelemetry-instrument``).
"""

# No ``from __future__ import annotations``: disnake reads option types from live annotations.
import itertools
from typing import Any

import disnake
from disnake.ext import commands
from disnake.webhook.async_ import async_context

from tests.instrumentation.fork_offline import World, run_bot


class IntroModal(disnake.ui.Modal):
    def __init__(self) -> None:
        components = [
            disnake.ui.TextInput(label="About you", custom_id="intro:about", max_length=200)
        ]
        super().__init__(title="Introduce yourself", components=components, custom_id="intro")

    async def callback(self, inter: disnake.ModalInteraction) -> None:
        await inter.response.send_message(f"Welcome! {inter.text_values['intro:about']}")


class VerifyView(disnake.ui.View):
    def __init__(self, panel: int) -> None:
        super().__init__(timeout=None)
        dismiss = disnake.ui.Button(label="Dismiss", custom_id=f"verify:dismiss:{panel}")
        dismiss.callback = self.dismiss
        self.add_item(dismiss)

    @disnake.ui.string_select(
        placeholder="Pronouns",
        custom_id="verify:pronouns",
        options=["they/them", "she/her", "he/him"],
    )
    async def pronouns(
        self, select: disnake.ui.StringSelect, inter: disnake.MessageInteraction
    ) -> None:
        await inter.response.send_message(f"Set to {select.values[0]}", ephemeral=True)

    @disnake.ui.button(label="Introduce yourself", custom_id="verify:intro")
    async def intro(self, button: disnake.ui.Button, inter: disnake.MessageInteraction) -> None:
        await inter.response.send_modal(IntroModal())

    @disnake.ui.button(label="Verify", custom_id="verify:go")
    async def verify(self, button: disnake.ui.Button, inter: disnake.MessageInteraction) -> None:
        raise AttributeError("verified role not configured")  # a bug

    async def dismiss(self, inter: disnake.MessageInteraction) -> None:
        self.stop()
        await inter.response.send_message("Dismissed.")


class Tags(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.command()
    async def tags(self, ctx: commands.Context) -> None:
        await ctx.send("3 tags")

    @commands.slash_command()
    async def tag(self, inter: disnake.ApplicationCommandInteraction) -> None:
        """Tag commands."""

    @tag.sub_command()
    async def create(self, inter: disnake.ApplicationCommandInteraction, name: str) -> None:
        """Create a tag."""
        if name == "bad":
            raise ValueError("tag kaboom")
        await inter.response.send_message(f"created {name}")

    @commands.Cog.listener("on_button_click")
    async def on_tag_button(self, inter: disnake.MessageInteraction) -> None:
        if not inter.component.custom_id.startswith("tag:delete:"):
            return
        raise LookupError("tag already deleted")  # a bug in a listener

    async def cog_slash_command_error(
        self, inter: disnake.ApplicationCommandInteraction, error: Exception
    ) -> None:
        await inter.response.send_message("The tag could not be created.", ephemeral=True)


def build() -> commands.Bot:
    intents = disnake.Intents.default()
    intents.members = True
    intents.message_content = True
    bot = commands.Bot(
        command_prefix=commands.when_mentioned_or("?"),
        intents=intents,
        command_sync_flags=commands.CommandSyncFlags.none(),
        chunk_guilds_at_startup=False,
    )

    @bot.slash_command(description="Responds with the bot's latency")
    async def ping(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.response.send_message("Pong!")

    @bot.slash_command(description="Only for admins")
    @commands.has_permissions(administrator=True)
    async def purge(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.response.send_message("purged")

    @bot.slash_command(description="Broken on purpose")
    async def stats(inter: disnake.ApplicationCommandInteraction) -> None:
        raise OSError("stats backend down")

    panels = itertools.count(1)

    @bot.slash_command(description="Post the verification panel")
    async def verify(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.response.send_message("Verify here", view=VerifyView(next(panels)))

    @bot.slash_command(description="Need help?")
    async def help(inter: disnake.ApplicationCommandInteraction) -> None:
        await inter.response.send_message(
            "Need help?",
            components=[
                disnake.ui.Button(label="Yes", style=disnake.ButtonStyle.success, custom_id="yes"),
                disnake.ui.Button(label="No", style=disnake.ButtonStyle.danger, custom_id="no"),
                disnake.ui.Button(label="Delete tag", custom_id="tag:delete:12"),
            ],
        )

    @bot.listen("on_button_click")
    async def help_listener(inter: disnake.MessageInteraction) -> None:
        if inter.component.custom_id not in ["yes", "no"]:
            return
        if inter.component.custom_id == "yes":
            await inter.response.send_message("Contact us at https://discord.gg/disnake!")
        else:
            await inter.response.send_modal(
                title="Feedback",
                custom_id="feedback",
                components=[disnake.ui.TextInput(label="What is missing?", custom_id="text")],
            )

    @bot.listen("on_modal_submit")
    async def feedback_listener(inter: disnake.ModalInteraction) -> None:
        if inter.custom_id != "feedback":
            return
        await inter.response.send_message(f"Thanks: {inter.text_values['text']}")

    @bot.user_command(name="Avatar")
    async def avatar(inter: disnake.UserCommandInteraction, user: disnake.User) -> None:
        await inter.response.send_message(f"{user.name}'s avatar")

    @bot.message_command(name="Translate")
    async def translate(inter: disnake.MessageCommandInteraction, message: disnake.Message) -> None:
        await inter.response.send_message(message.content.upper())

    @bot.command()
    async def add(ctx: commands.Context, left: int, right: int) -> None:
        await ctx.send(str(left + right))

    @bot.event
    async def on_slash_command_error(
        inter: disnake.ApplicationCommandInteraction, error: commands.CommandError
    ) -> None:
        if isinstance(error, commands.MissingPermissions):
            await inter.response.send_message("You can't do that.", ephemeral=True)
        elif inter.application_command.cog is None:
            raise error

    @bot.event
    async def on_command_error(ctx: commands.Context, error: commands.CommandError) -> None:
        if isinstance(error, (commands.BadArgument, commands.CommandNotFound)):
            await ctx.send("Try again.")
        else:
            raise error

    @bot.event
    async def on_raw_reaction_add(payload: disnake.RawReactionActionEvent) -> None:
        raise LookupError("starboard channel missing")

    bot.add_cog(Tags(bot))
    return bot


async def scenario(world: World) -> None:
    """Prefix and slash commands, a sub-command, a menu, checks, typos, a reaction."""
    world.say("?tags")
    world.say("?add 2 3")
    world.say("?add two 3")  # BadArgument, answered
    world.say("?nosuch")  # unknown, answered
    world.say("hello")
    world.interact("ping")
    world.interact("tag", options=[{"name": "create", "type": 1, "options": [_opt("name", "a")]}])
    world.interact("tag", options=[{"name": "create", "type": 1, "options": [_opt("name", "bad")]}])
    world.interact("purge")  # not an administrator: MissingPermissions, answered
    world.interact("stats")  # a bug, re-raised by on_slash_command_error
    world.interact("nosuch")  # unknown application command
    world.user_menu("Avatar")
    world.message_menu("Translate")
    world.member_joins("newbie")
    world.react()  # on_raw_reaction_add raises
    world.interact("verify")
    await world.settle()  # the panel is sent: its view now listens
    world.click("verify:pronouns", values=["they/them"])
    world.click("verify:go")  # a bug: disnake's View.on_error prints it
    world.click("verify:intro")
    await world.settle()  # the modal is open
    world.submit("intro", {"intro:about": "I write bots"})
    world.click("verify:dismiss:1")  # a custom_id with a number: named verify:dismiss:#
    world.interact("help")
    await world.settle()
    world.click("yes")  # answered by help_listener (the cog's listener ignores it)
    world.click("no")  # help_listener opens a modal without a Modal object
    await world.settle()
    world.submit("feedback", {"text": "more examples"})  # answered by feedback_listener
    world.click("tag:delete:12")  # the cog's listener raises: named tag:delete:#


def _opt(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "type": 3, "value": value}


ADAPTER: Any = async_context.get()

if __name__ == "__main__":
    run = run_bot(build, ADAPTER, scenario, capture=False)
    print("\n".join(run.replies))
