"""Run one workflow step: log to the rule's log file, turn a SurveyError into one line and exit 1.

The workflow's scripts call :func:`run_step` with their rule's name and log path (plain values, so the
library never depends on the workflow engine).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable

from mscsurvey.errors import SurveyError

__all__ = ["NOTE", "run_step", "debug_enabled"]

#: Log level of a step's key facts (counts in and out): between INFO and WARNING, shown by
#: ``mscsurvey run`` in its summary beside the warnings.
NOTE = 25
logging.addLevelName(NOTE, "NOTE")


def debug_enabled() -> bool:
    """Tracebacks are shown only when MSCSURVEY_DEBUG is set (to anything but 0/empty)."""
    return os.environ.get("MSCSURVEY_DEBUG", "") not in ("", "0")


def _setup_logging(log_path: str | None) -> logging.Logger:
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handlers: list[logging.Handler] = []
    if log_path:
        os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    else:
        handlers.append(logging.StreamHandler(sys.stderr))
    fmt = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    for h in handlers:
        h.setFormatter(fmt)
        root.addHandler(h)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    return logging.getLogger("mscsurvey")


def run_step(main: Callable[[], None], *, rule: str, log: str | None) -> None:
    """Call ``main()``; log its start, end and duration to ``log`` (stderr when None); on a user error
    print one line and exit 1."""
    logger = _setup_logging(log)
    t0 = time.perf_counter()
    logger.info("rule %s started", rule)
    try:
        main()
    except SurveyError as exc:
        logger.error("%s", exc)
        if debug_enabled():
            raise
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    logger.info("rule %s finished in %.2f s", rule, time.perf_counter() - t0)
