"""Run under ``opentelemetry-instrument``: a burst of errors, faster than any export.

Takes the count as its argument, logs that many identical errors with the console
handler removed (nothing slows the burst down), and prints one JSON line: the global
logger provider's processor class names.
"""

from __future__ import annotations

import json
import logging
import sys

from opentelemetry._logs import get_logger_provider


def main(count: int) -> None:
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if type(h) is not logging.StreamHandler]
    logger = logging.getLogger("burst")
    for _ in range(count):
        logger.error("queue worker lost its lease")
    provider = get_logger_provider()
    processors = provider._multi_log_record_processor._log_record_processors  # type: ignore[attr-defined]
    print(json.dumps({"processors": [type(p).__name__ for p in processors]}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
