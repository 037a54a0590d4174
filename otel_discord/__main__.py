"""``python -m otel_discord``: the ``otel-discord`` command, for when the script is not on PATH."""

from __future__ import annotations

import sys

from otel_discord.cli import main

sys.exit(main())
