"""Traceback paths in embeds: short, and never a frame of otel_discord itself."""

from __future__ import annotations

from otel_discord.fingerprint import crash_location
from otel_discord.render.errors import trim_stacktrace
from otel_discord.render.frames import display_path

VENV = "/home/bot/.venv/lib/python3.12/site-packages"
TRACE = f"""Traceback (most recent call last):
  File "{VENV}/discord/client.py", line 481, in _run_event
    await coro(*args, **kwargs)
  File "{VENV}/otel_discord/instrumentation/_dispatch.py", line 77, in observed
    return await coro(*call_args, **call_kwargs)
  File "/home/bot/app/cogs/admin.py", line 12, in on_guild_join
    await channel.send("hi")
  File "{VENV}/discord/abc.py", line 1618, in send
    data = await state.http.send_message(channel.id, params=params)
  File "{VENV}/discord/http.py", line 745, in request
    raise Forbidden(response, data)
discord.errors.Forbidden: 403 Forbidden (error code: 50013): Missing Permissions"""


class TestDisplayPath:
    """Library files relative to their root, the bot's relative to its working directory."""

    def test_paths(self) -> None:
        assert [
            "discord/ext/commands/core.py",
            "asyncio/tasks.py",
            "cogs/admin.py",
            "/srv/other/bot.py",
            "<frozen runpy>",
            "discord/abc.py",
        ] == [
            display_path(f"{VENV}/discord/ext/commands/core.py", "/home/bot/app"),
            display_path("/usr/lib/python3.12/asyncio/tasks.py", "/home/bot/app"),
            display_path("/home/bot/app/cogs/admin.py", "/home/bot/app/"),
            display_path("/srv/other/bot.py", "/srv/other/bot"),
            display_path("<frozen runpy>", "/"),
            display_path("C:\\Python312\\Lib\\site-packages\\discord/abc.py"),
        ]


class TestTrim:
    """No frame of ours; kept frames with short paths; the location is the bot's frame."""

    def test_own_frames_dropped_and_paths_short(self) -> None:
        expected = """Traceback (most recent call last):
  … 1 library frame
  File "cogs/admin.py", line 12, in on_guild_join
    await channel.send("hi")
  … 1 library frame
  File "discord/http.py", line 745, in request
    raise Forbidden(response, data)
discord.errors.Forbidden: 403 Forbidden (error code: 50013): Missing Permissions"""
        assert expected == trim_stacktrace(TRACE, "/home/bot/app")

    def test_location_skips_our_frames(self) -> None:
        trace = TRACE.replace("/home/bot/app/cogs/", f"{VENV}/discord/ext/")  # no user frame
        assert "request (http.py:745)" == crash_location(trace)
        assert "on_guild_join (admin.py:12)" == crash_location(TRACE)


class TestKindKey:
    """Volatile parts (addresses, hex, ids, numbers, quoted values) do not split a kind."""

    def test_unclosed_session_is_one_kind(self) -> None:
        from otel_discord.fingerprint import message_template

        def text(address: str, task: int, token: str) -> str:
            return (
                "Unclosed client session\nclient_session: <aiohttp.client.ClientSession "
                f"object at 0x{address}> (Task-{task}, session {token}, guild 1187654321098765)"
            )

        keys = {
            message_template(text("7f3a1c2b3d40", 12, "a3f9c2e1d4b5")),
            message_template(text("7f0e99aa0f10", 307, "9b1e77aa02cd")),
            message_template(text("55d1c0ffee00", 4, "0c0ffee12345")),
        }
        assert 1 == len(keys)
        assert message_template("lost deadbeef") == "lost deadbeef"  # a word stays a word


class TestDemoIsUserCode:
    """The demo's simulated bot lives in the package but is the user's code of its traces."""

    def test_demo_frames_kept(self) -> None:
        from otel_discord.render.frames import is_own_frame

        assert [True, False] == [
            is_own_frame(f"{VENV}/otel_discord/instrumentation/_probe.py"),
            is_own_frame(f"{VENV}/otel_discord/demo/_bot.py"),
        ]
