"""Is a Snakemake run still working in this folder? Asked before ``snakemake --unlock``.

Snakemake's lock files (``.snakemake/locks/``) name the files a run holds but not the process, so a
lock left by a killed run and the lock of a live one look the same; ``--unlock`` removes either, and a
second run then writes the same files as the live one. ``python -m mscsurvey.liverun`` (``make
unlock``) looks for live processes instead: any process whose command line mentions snakemake (the
run itself, or one of its job scripts under ``.snakemake/scripts``) and whose working directory is
this folder. It reads Linux's ``/proc``; it cannot see a run on another machine sharing the folder
(a cluster), which the person must check themselves.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["live_runs", "main"]


def live_runs(folder: str | os.PathLike[str] = ".", proc: str = "/proc") -> list[tuple[int, str]]:
    """(pid, command line) of every process other than this one whose working directory is
    ``folder`` and whose command line mentions snakemake."""
    here = Path(folder).resolve()
    me = {os.getpid(), os.getppid()}
    found = []
    for entry in Path(proc).iterdir() if Path(proc).is_dir() else []:
        if not entry.name.isdigit() or int(entry.name) in me:
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = Path(os.readlink(entry / "cwd")).resolve()
        except OSError:  # gone meanwhile, or another user's process
            continue
        text = " ".join(a.decode("utf-8", "replace") for a in args if a)
        if cwd == here and "snakemake" in text.lower() and "mscsurvey.liverun" not in text:
            found.append((int(entry.name), text))
    return sorted(found)


def main() -> int:
    """Exit 1 with one line per live process when a run is alive (``--unlock`` must not run)."""
    runs = live_runs()
    for pid, cmd in runs:
        print(
            f"error: a Snakemake run is still working in this folder (pid {pid}: {cmd[:120]}); "
            "--unlock now would let a second run write the same files: wait for it to finish, or "
            f"stop it first (kill {pid}), then unlock",
            file=sys.stderr,
        )
    return 1 if runs else 0


if __name__ == "__main__":
    sys.exit(main())
