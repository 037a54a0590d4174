"""The bot's console under the logging bridge: what Python would print, once, and nothing more."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler

from otel_discord.console import LastResortStandIn, keep_console_output, release_console
from otel_discord.exception_ids import ATTR_EXCEPTION_ID, ExceptionIdFilter, exception_id


@contextlib.contextmanager
def bare_root() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A root logger with only the bridge and the stand-in; lastResort writes to a buffer.

    Entered inside each test: pytest adds its capture handler to the root after fixtures.
    """
    root = logging.getLogger()
    saved_handlers, saved_level, saved_resort = root.handlers[:], root.level, logging.lastResort
    for handler in saved_handlers:
        root.removeHandler(handler)
    out = io.StringIO()
    logging.lastResort = logging.StreamHandler(out)
    logging.lastResort.setLevel(logging.WARNING)
    bridge = LoggingHandler(logger_provider=LoggerProvider())
    root.addHandler(bridge)
    stand_in = keep_console_output()
    try:
        yield root, out
    finally:
        release_console(stand_in)
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        logging.lastResort = saved_resort


class TestLastResortStandIn:
    """Prints through ``logging.lastResort`` exactly when Python would."""

    def test_unconfigured_script_prints_warnings_once(self) -> None:
        with bare_root() as (_, out):
            logging.getLogger("script").warning("disk almost full")
            logging.getLogger("script").info("not printed")
            assert "disk almost full\n" == out.getvalue()

    def test_null_handler_keeps_library_quiet(self) -> None:
        with bare_root() as (_, out):
            quiet = logging.getLogger("quietlib")
            quiet.addHandler(logging.NullHandler())
            try:
                logging.getLogger("quietlib.voice").warning("PyNaCl is not installed")
            finally:
                quiet.handlers.clear()
            assert "" == out.getvalue()

    def test_silent_once_the_bot_adds_a_handler(self) -> None:
        with bare_root() as (root, out):
            mine = io.StringIO()
            handler = logging.StreamHandler(mine)
            root.addHandler(handler)
            try:
                logging.getLogger("bot").error("boom")
            finally:
                root.removeHandler(handler)
            assert ("", "boom\n") == (out.getvalue(), mine.getvalue())

    def test_discord_setup_logging_prints_once(self) -> None:
        import discord

        with bare_root() as (root, out):
            mine = io.StringIO()
            handler = logging.StreamHandler(mine)
            discord.utils.setup_logging(handler=handler, formatter=logging.Formatter("%(message)s"))
            try:
                logging.getLogger("discord.client").warning("Shard ID None heartbeat blocked")
                logging.getLogger("bot").error("own error")
            finally:
                root.removeHandler(handler)
            assert "" == out.getvalue()
            assert "Shard ID None heartbeat blocked\nown error\n" == mine.getvalue()

    def test_basic_config_configures_past_the_bridge(self) -> None:
        with bare_root() as (root, out):
            mine = io.StringIO()
            logging.basicConfig(stream=mine, level=logging.INFO, format="%(levelname)s %(message)s")
            logging.getLogger("bot").info("ready")
            assert "INFO ready\n" == mine.getvalue()
            assert "" == out.getvalue()
            kinds = sorted(type(h).__name__ for h in root.handlers)
            assert ["LastResortStandIn", "LoggingHandler", "StreamHandler"] == kinds

    def test_basic_config_force_keeps_the_bridge(self) -> None:
        with bare_root() as (root, _):
            logging.basicConfig(stream=io.StringIO())
            logging.basicConfig(stream=io.StringIO(), force=True)
            kinds = sorted(type(h).__name__ for h in root.handlers)
            assert ["LastResortStandIn", "LoggingHandler", "StreamHandler"] == kinds

    def test_installed_once(self) -> None:
        with bare_root() as (root, _):
            assert keep_console_output() is None
            assert 1 == sum(isinstance(h, LastResortStandIn) for h in root.handlers)


class TestExceptionIds:
    """One token per exception object; wrappers share the token of what they wrap."""

    def test_same_object_same_token(self) -> None:
        first, second = ValueError("x"), ValueError("x")
        assert exception_id(first) == exception_id(first)
        assert exception_id(first) != exception_id(second)

    def test_wrapper_shares_the_token(self) -> None:
        inner = KeyError("k")
        wrapper = RuntimeError("wrapped")
        wrapper.original = inner  # type: ignore[attr-defined]
        assert exception_id(inner) == exception_id(wrapper)

    def test_filter_tags_records_with_exc_info(self) -> None:
        try:
            raise ZeroDivisionError("division by zero")
        except ZeroDivisionError as exc:
            caught = exc
            record = logging.LogRecord("bot", 40, __file__, 1, "failed", (), (type(exc), exc, None))
        plain = logging.LogRecord("bot", 40, __file__, 1, "failed", (), None)
        assert ExceptionIdFilter().filter(record)
        assert ExceptionIdFilter().filter(plain)
        assert exception_id(caught) == getattr(record, ATTR_EXCEPTION_ID)
        assert not hasattr(plain, ATTR_EXCEPTION_ID)


class TestOwnRequestsQuiet:
    """httpx's INFO line per request is dropped for our posts, kept for the bot's own."""

    def test_only_our_requests_are_dropped(self) -> None:
        from otel_discord.delivery import quiet_http

        quiet_http.install()
        logger = logging.getLogger("httpx")
        seen: list[str] = []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                seen.append(record.getMessage())

        keep = Keep()
        logger.addHandler(keep)
        saved = logger.level
        logger.setLevel(logging.INFO)
        try:
            with quiet_http.own_request():
                logger.info("HTTP Request: POST ours")
            logger.info("HTTP Request: GET the bot's")
        finally:
            logger.removeHandler(keep)
            logger.setLevel(saved)
        assert ["HTTP Request: GET the bot's"] == seen
