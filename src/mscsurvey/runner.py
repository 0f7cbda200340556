"""Run one workflow step: log to the rule's log file, turn a SurveyError into one line and exit 1.

The workflow's scripts call :func:`run_step` with their rule's name and log path (plain values, so the
library never depends on the workflow engine).
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import sys
from collections.abc import Callable

from mscsurvey.errors import SurveyError

__all__ = ["NOTE", "run_step", "debug_enabled", "os_error_line"]

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


def os_error_line(exc: OSError) -> str:
    """One line for a failure of the machine rather than of the data: which file, what happened and
    what to do (disk full, permission denied, ...); never a traceback."""
    where = f"{exc.filename}: " if exc.filename else ""
    what = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        todo = "free some space (or raise the quota) and run again"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        todo = "check the folder's owner and permissions, then run again"
    else:
        todo = "check the file and the file system, then run again"
    return f"{where}{what.lower()} ({todo}; nothing half-written was kept)"


def _terminate(signum: int, _frame: object) -> None:
    """SIGTERM (Snakemake stopping its jobs, a scheduler's kill): raise so that every ``finally`` and
    context manager runs (temporary files and folders removed, helper processes shut down)."""
    raise SystemExit(128 + signum)


def run_step(main: Callable[[], None], *, rule: str, log: str | None) -> None:
    """Call ``main()``; log its start and end to ``log`` (stderr when None); on a user error
    or a failure of the machine (disk full, permission denied) print one line and exit 1; on SIGTERM
    clean up and exit 143."""
    logger = _setup_logging(log)
    logger.info("rule %s started", rule)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        main()
    except SurveyError as exc:
        logger.error("%s", exc)
        if debug_enabled():
            raise
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except OSError as exc:
        logger.error("rule %s: %s", rule, exc)
        if debug_enabled():
            raise
        print(f"error: rule {rule}: {os_error_line(exc)}", file=sys.stderr)
        sys.exit(1)
    except SystemExit as exc:
        if exc.code == 128 + signal.SIGTERM:
            logger.error("rule %s stopped by SIGTERM; temporary files removed", rule)
            print(
                f"error: rule {rule}: stopped (SIGTERM); nothing half-written was kept",
                file=sys.stderr,
            )
        raise
    # no duration here: two identical runs give identical logs (benchmarks/<rule>.tsv has the timings)
    logger.info("rule %s finished", rule)
