"""Failures of the machine rather than of the data end in one line too: a full disk, a permission
denied, a step stopped by SIGTERM. No traceback, no half-written output, no temporary file or folder
left behind, and an earlier output stays as it was."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from mscsurvey.cli import main as cli
from mscsurvey.io import scratch_dir, write_parquet
from mscsurvey.runner import run_step

FRAME = pd.DataFrame({"a": range(1000), "b": ["x" * 40] * 1000})


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*") if p.name.endswith((".tmp", ".tmpdir")))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            errno.ENOSPC,
            "no space left on device (free some space (or raise the quota) and run again",
        ),
        (
            errno.EACCES,
            "permission denied (check the folder's owner and permissions, then run again",
        ),
    ],
)
def test_disk_full_or_permission_denied_is_one_line(tmp_path, monkeypatch, capsys, code, expected):
    """The writer fails mid-write (simulated: the OSError pyarrow raises): one line naming the rule
    and the file, exit 1, the earlier output intact, no temporary file left."""
    out = tmp_path / "clean" / "responses.parquet"
    write_parquet(FRAME.head(3), out)
    before = out.read_bytes()

    def fail(self, path, **kwargs):
        Path(path).write_bytes(b"PAR1 half")  # what a full disk leaves: a partial file
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail)
    with pytest.raises(SystemExit) as exit_:
        run_step(lambda: write_parquet(FRAME, out), rule="clean", log=str(tmp_path / "clean.log"))
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: rule clean: "), err
    assert expected in err[0] and "nothing half-written was kept" in err[0]
    assert "Traceback" not in "\n".join(err)
    assert out.read_bytes() == before
    assert _leftovers(tmp_path) == []


def test_a_really_full_disk_is_one_line(tmp_path):
    """The same on a real 64 KiB file system (tmpfs; needs the right to mount, e.g. root)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root): the simulated test above covers it")
    try:
        script = textwrap.dedent(
            f"""
            import numpy as np, pandas as pd
            from mscsurvey.io import write_parquet
            from mscsurvey.runner import run_step
            df = pd.DataFrame({{"r": np.random.default_rng(1).random(200_000)}})
            run_step(lambda: write_parquet(df, "{disk}/out/big.parquet"), rule="scales", log=None)
            """
        )
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        assert proc.returncode == 1
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
        assert len(lines) == 1 and "no space left on device" in lines[0], proc.stderr[-2000:]
        assert "Traceback" not in proc.stderr
        assert not (disk / "out" / "big.parquet").exists()
        assert _leftovers(disk) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_sigterm_cleans_up_and_says_so(tmp_path):
    """A step stopped with SIGTERM (Snakemake stopping its jobs): its temporary file and folder are
    removed, the earlier output stays, one line, exit 143."""
    out = tmp_path / "brief" / "brief.pdf"
    out.parent.mkdir()
    out.write_bytes(b"earlier brief")
    ready = tmp_path / "ready"
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from mscsurvey.io import atomic_path, scratch_dir
        from mscsurvey.runner import run_step
        def main():
            with scratch_dir("{out}", "brief-typst") as tmp, atomic_path("{out}") as part:
                (tmp / "brief.typ").write_text("x")
                part.write_bytes(b"half")
                Path("{ready}").touch()
                time.sleep(60)
        run_step(main, rule="brief", log=None)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not ready.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert ready.exists()
    assert len(_leftovers(tmp_path)) == 2  # the temporary file and folder exist while it runs
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM
    assert [ln for ln in stderr.splitlines() if ln.startswith("error:")] == [
        "error: rule brief: stopped (SIGTERM); nothing half-written was kept"
    ]
    assert "Traceback" not in stderr
    assert _leftovers(tmp_path) == []
    assert out.read_bytes() == b"earlier brief"


def test_a_scratch_folder_left_by_sigkill_is_removed_next_time(tmp_path):
    """SIGKILL runs no cleanup: the folder it leaves beside the output goes at the next run."""
    target = tmp_path / "brief" / "brief.pdf"
    target.parent.mkdir()
    stale = target.parent / ".brief-typst.abc123.tmpdir"
    stale.mkdir()
    (stale / "brief.typ").write_text("left by a killed run")
    with scratch_dir(target, "brief-typst") as tmp:
        assert tmp.is_dir() and not stale.exists()
    assert _leftovers(tmp_path) == []


def test_the_cli_turns_an_os_error_into_one_line(tmp_path, capsys):
    """`codebook draft -o` into a path whose folder is a file: one line, exit 2."""
    data = tmp_path / "export.csv"
    data.write_text("respondent_id,q1\nr1,Agree\nr2,Disagree\n", encoding="utf-8")
    (tmp_path / "afile").write_text("")
    rc = cli(["codebook", "draft", str(data), "-o", str(tmp_path / "afile" / "codebook.yaml")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith(f"error: {tmp_path / 'afile'}"), err
    assert "afile: file exists (check the file and the file system" in err[0]


def test_unlock_is_refused_while_a_run_is_alive(tmp_path):
    """`make unlock` first asks mscsurvey.liverun: a live process in the folder whose command line
    mentions snakemake makes it exit 1 with its pid; once that process is gone, it exits 0."""
    from mscsurvey.liverun import live_runs

    run = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "snakemake", "--cores", "1"],
        cwd=tmp_path,
    )
    try:
        time.sleep(0.3)
        assert [pid for pid, _ in live_runs(tmp_path)] == [run.pid]
        proc = subprocess.run(
            [sys.executable, "-m", "mscsurvey.liverun"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 1
        assert proc.stderr.startswith(
            f"error: a Snakemake run is still working in this folder (pid {run.pid}"
        )
        assert f"stop it first (kill {run.pid}), then unlock" in proc.stderr
    finally:
        run.kill()
        run.wait()
    proc = subprocess.run(
        [sys.executable, "-m", "mscsurvey.liverun"], cwd=tmp_path, capture_output=True
    )
    assert proc.returncode == 0 and proc.stderr == b""
