#!/usr/bin/env bash
# Run the pipeline through Slurm (profiles/slurm, snakemake-executor-plugin-slurm) on a one-node
# cluster made here, and check that it gives the same results as a local run.
#
#   sudo PATH=.venv/bin:$PATH scripts/slurm_check.sh [--workdir DIR] [--keep-cluster] [--n-a N] [--n-b N]
#                                                     [--text-chunks N] [--reuse-local]
#   sudo scripts/slurm_check.sh --stop     # only stop the daemons an earlier --keep-cluster run left
#
# What it does, idempotently (rerunning it reuses what is already there):
#  1. installs Debian's slurmctld, slurmd, slurm-client and munge (daemons are not started by the
#     packages: a temporary policy-rc.d forbids it);
#  2. starts munged, writes /etc/slurm/slurm.conf for this one node (no slurmdbd, no cgroups, no
#     systemd), starts slurmctld and slurmd and waits until the node is idle;
#  3. writes a config with two small synthetic datasets (a and b: their own results folders, so each
#     is its own set of wildcard jobs) and runs the workflow twice from nothing: locally
#     (snakemake --cores 2) and on the cluster (snakemake --profile profiles/slurm); the cluster run
#     splits de-identification's free-text scrubbing into --text-chunks scrub_text jobs per dataset
#     (deidentify.text_chunks, default 3; the local run scrubs in one job), so the comparison also
#     proves that the scattered and gathered scrubbing gives the one-job bytes;
#  4. compares every Parquet table, JSON table, figure and synthetic raw file of both runs by sha256
#     (the brief's HTML/PDF, provenance and manifest carry the run's date and are left out), prints
#     the comparison and the Slurm jobs' overlap (datasets running side by side);
#     then the Slurm jobs' times per rule (results' benchmarks/*.tsv: scrub_text chunks, deidentify);
#  5. stops the daemons it (or an earlier --keep-cluster run) started, by their pid files in
#     /run/mscsurvey-slurm-check, also when a step fails, unless --keep-cluster.
#
# --reuse-local keeps a finished local run in --workdir when its config and the project's commit are
# the same (the local run always scrubs in one job, so runs with several --text-chunks share it).
#
# Needs root (apt-get, daemons), Debian 12 (Slurm 22.05) and the project's Python environment first
# on PATH. Exit status 0 when every compared file is identical. See /work/shared/SLURM.md for the
# facts this follows (squeue as status command without slurmdbd, MinJobAge, SLURM_* variables).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK=""
KEEP_CLUSTER=0
N_A=240
N_B=300
TEXT_CHUNKS=3
REUSE_LOCAL=0
STOP_ONLY=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workdir) WORK="$2"; shift 2 ;;
    --keep-cluster) KEEP_CLUSTER=1; shift ;;
    --n-a) N_A="$2"; shift 2 ;;
    --n-b) N_B="$2"; shift 2 ;;
    --text-chunks) TEXT_CHUNKS="$2"; shift 2 ;;
    --reuse-local) REUSE_LOCAL=1; shift ;;
    --stop) STOP_ONLY=1; shift ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '[slurm-check %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (it installs packages and starts daemons)"
STATE=/run/mscsurvey-slurm-check   # pid files of the daemons this script started
mkdir -p "$STATE"
SNAKEMAKE="$(command -v snakemake || true)"
[[ -n "$SNAKEMAKE" || $STOP_ONLY -eq 1 ]] || die "snakemake is not on PATH (put the project's environment first: PATH=.venv/bin:\$PATH)"
PYTHON="$(dirname "$SNAKEMAKE")/python"
[[ $STOP_ONLY -eq 1 ]] || "$PYTHON" -c "import snakemake_executor_plugin_slurm" 2>/dev/null \
  || die "snakemake-executor-plugin-slurm is not installed in $(dirname "$SNAKEMAKE") (it is in envs/requirements.lock)"


# --------------------------------------------------------------------------------------------------
# 1. Packages
# --------------------------------------------------------------------------------------------------
install_packages() {
  local need=()
  for p in slurmctld slurmd slurm-client munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if [[ ${#need[@]} -eq 0 ]]; then
    say "packages already installed: $(dpkg-query -W -f='${Version}' slurmctld) (slurm), munge"
    return
  fi
  say "installing ${need[*]}"
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [[ -e $policy ]] && had_policy=1
  if [[ $had_policy -eq 0 ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "${need[@]}" >"$STATE/apt.log" 2>&1; then
    apt-get update -q >>"$STATE/apt.log" 2>&1
    apt-get install -y -q --no-install-recommends "${need[@]}" >>"$STATE/apt.log" 2>&1 \
      || { [[ $had_policy -eq 0 ]] && rm -f "$policy"; die "apt-get failed (see $STATE/apt.log)"; }
  fi
  [[ $had_policy -eq 0 ]] && rm -f "$policy"
  say "installed slurm $(dpkg-query -W -f='${Version}' slurmctld), munge $(dpkg-query -W -f='${Version}' munge)"
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --------------------------------------------------------------------------------------------------
# 2. Daemons
# --------------------------------------------------------------------------------------------------
start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    say "munged already running"
    return
  fi
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
  if [[ ! -s /etc/munge/munge.key ]]; then
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
  fi
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  for _ in $(seq 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.2
  done
  munge -n | unmunge >/dev/null || die "munged did not start (see /var/log/munge/munged.log)"
  cp /run/munge/munged.pid "$STATE/munged.pid"
  say "munged started (pid $(cat "$STATE/munged.pid"))"
}

write_conf() {
  local host mem node conf=/etc/slurm/slurm.conf marker="# written by mscsurvey scripts/slurm_check.sh"
  host="$(hostname -s)"
  if [[ -f $conf ]] && ! grep -q "$marker" "$conf"; then
    die "$conf exists and was not written by this script; move it away first"
  fi
  # the node as slurmd sees it, with 1 GiB of memory left to the system
  mem=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024 ))
  node="$(slurmd -C | head -n 1 | sed -E "s/RealMemory=[0-9]+/RealMemory=${mem}/")"
  getent hosts "$host" >/dev/null || node="$node NodeAddr=127.0.0.1"
  install -d /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  cat > "$conf" <<EOF
$marker
ClusterName=mscsurvey
SlurmctldHost=${host}
SlurmUser=root
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
AuthType=auth/munge
MpiDefault=none
ReturnToService=2
# no cgroups and no systemd here
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
# no slurmdbd: no accounting (sacct does not work: the profile queries squeue), a job completion log
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
# squeue keeps a finished job this long; the plugin needs >= 3 x its first status delay (5 s)
MinJobAge=300
${node}
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  say "wrote $conf: $node"
}

start_slurm() {
  if alive /run/slurmctld.pid; then
    say "slurmctld already running"
  else
    slurmctld
    for _ in $(seq 50); do alive /run/slurmctld.pid && break; sleep 0.2; done
    alive /run/slurmctld.pid || die "slurmctld did not start (see /var/log/slurm/slurmctld.log)"
    cp /run/slurmctld.pid "$STATE/slurmctld.pid"
    say "slurmctld started (pid $(cat /run/slurmctld.pid))"
  fi
  if alive /run/slurmd.pid; then
    say "slurmd already running"
  else
    slurmd
    for _ in $(seq 50); do alive /run/slurmd.pid && break; sleep 0.2; done
    alive /run/slurmd.pid || die "slurmd did not start (see /var/log/slurm/slurmd.log)"
    cp /run/slurmd.pid "$STATE/slurmd.pid"
    say "slurmd started (pid $(cat /run/slurmd.pid))"
  fi
  local state=""
  for _ in $(seq 60); do
    state="$(sinfo -h -N -o '%t' 2>/dev/null | head -n 1 || true)"
    case "$state" in
      idle|mix|alloc) break ;;
      down*|drain*|drng*) scontrol update NodeName="$(hostname -s)" State=RESUME 2>/dev/null || true ;;
    esac
    sleep 1
  done
  [[ "$state" =~ ^(idle|mix|alloc)$ ]] || die "the node is '$state', not idle (see /var/log/slurm/)"
  say "cluster up: $(sinfo -h -o '%P %D node(s) %c CPUs %m MB %t')"
}

stop_started() {
  # A pid file in $STATE exists only for a daemon this script started (in this run or in an earlier
  # --keep-cluster run); daemons that were running before are left alone.
  local name pidfile ctld=0
  [[ -f "$STATE/slurmctld.pid" ]] && ctld=1
  for name in slurmd slurmctld munged; do
    pidfile="$STATE/$name.pid"
    [[ -f "$pidfile" ]] || continue
    # (the pid must still be that daemon's: a stale file's pid may belong to another process now)
    if alive "$pidfile" && [[ "$(cat "/proc/$(cat "$pidfile")/comm" 2>/dev/null)" == "$name" ]]; then
      kill "$(cat "$pidfile")" && say "stopped $name (pid $(cat "$pidfile"))"
      for _ in $(seq 50); do alive "$pidfile" || break; sleep 0.2; done
    fi
    rm -f "$pidfile"
  done
  # With Slurm's client installed, the slurm executor plugin runs `scontrol show config` whenever
  # Snakemake starts (local runs too); with a slurm.conf naming a controller that is not running,
  # that waits 9 s. So the configuration goes with the controller (kept in $STATE for a look).
  if [[ $ctld -eq 1 ]] && grep -qs "scripts/slurm_check.sh" /etc/slurm/slurm.conf; then
    mv /etc/slurm/slurm.conf "$STATE/slurm.conf"
    say "moved /etc/slurm/slurm.conf to $STATE/ (no controller runs now)"
  fi
}

# --------------------------------------------------------------------------------------------------
# 3. Two runs of a two-dataset study
# --------------------------------------------------------------------------------------------------
write_config() {  # write_config <dest> <text chunks>
  "$PYTHON" - "$ROOT" "$1" "$N_A" "$N_B" "$2" <<'EOF'
import sys
from pathlib import Path

import yaml

root, dest, n_a, n_b = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cfg = yaml.safe_load((root / "config" / "config.yaml").read_text(encoding="utf-8"))
cfg.setdefault("deidentify", {})["text_chunks"] = int(sys.argv[5])
base = cfg["datasets"]["msc"]
datasets = {}
for name, n in (("a", n_a), ("b", n_b)):
    datasets[name] = {
        "raw": f"data/{name}/survey.csv",
        "codebook": str(root / base["codebook"]),
        "results": f"results/{name}",
        "published": str(root / base["published"]),
        "synthetic": {
            "model": str(root / base["synthetic"]["model"]),
            "published": str(root / base["synthetic"]["published"]),
            "n_respondents": n,
        },
    }
cfg["datasets"] = datasets
dest.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
EOF
}

clean_env() {
  # an outer allocation's SLURM_* variables must not leak into the jobs
  local v
  for v in $(env | grep -o '^SLURM_[A-Za-z0-9_]*' || true); do unset "$v"; done
  unset SLURM_CONF MSCSURVEY_PSEUDONYM_KEY
}

source_version() {  # the project's commit, '+dirty' when its tracked files differ from it
  git -C "$ROOT" describe --always --dirty=+dirty 2>/dev/null || echo unknown
}

reusable_local() {  # a finished local run with the same config and source (see --reuse-local)
  [[ $REUSE_LOCAL -eq 1 && -s "$WORK/local/seconds" && -s "$WORK/local/source" ]] \
    && cmp -s "$WORK/config.yaml" "$WORK/local/config/config.yaml" \
    && [[ "$(cat "$WORK/local/source")" == "$(source_version)" && "$(source_version)" != *dirty ]]
}

run_workflow() {  # run_workflow <label> <dir> <config> <snakemake args...>
  local label="$1" dir="$2" cfg="$3"; shift 3
  rm -rf "$dir"
  mkdir -p "$dir/config"
  cp "$cfg" "$dir/config/config.yaml"
  local t0=$SECONDS
  say "$label run: snakemake $* (in $dir)"
  if ! (cd "$dir" && "$SNAKEMAKE" -s "$ROOT/Snakefile" "$@" >"$dir/snakemake.log" 2>&1); then
    tail -n 40 "$dir/snakemake.log" >&2
    die "$label run failed (log: $dir/snakemake.log)"
  fi
  echo $(( SECONDS - t0 )) > "$dir/seconds"
  source_version > "$dir/source"
  say "$label run finished in $(cat "$dir/seconds") s"
}

# --------------------------------------------------------------------------------------------------
# 4. Comparison
# --------------------------------------------------------------------------------------------------
compare() {
  "$PYTHON" - "$WORK/local" "$WORK/slurm" <<'EOF'
import hashlib
import sys
from pathlib import Path

local, slurm = Path(sys.argv[1]), Path(sys.argv[2])
# the brief (HTML, PDF), its provenance and the manifest carry the run's date; logs and benchmarks
# its timings and the host
SKIP_NAMES = {"brief.html", "brief.pdf", "provenance.json", "manifest.json"}
SKIP_DIRS = {"logs", "benchmarks"}


def files(top: Path) -> dict[str, Path]:
    out = {}
    for sub in ("results", "data"):
        for p in sorted((top / sub).rglob("*")):
            rel = p.relative_to(top)
            if p.is_file() and p.name not in SKIP_NAMES and not SKIP_DIRS & set(rel.parts):
                out[str(rel)] = p
    return out


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


a, b = files(local), files(slurm)
names = sorted(set(a) | set(b))
width = max(len(n) for n in names)
print(f"\n{'file':<{width}}  {'local sha256':<16}  {'slurm sha256':<16}  same")
same = 0
for n in names:
    ha = sha(a[n])[:16] if n in a else "missing"
    hb = sha(b[n])[:16] if n in b else "missing"
    ok = ha == hb and ha != "missing"
    same += ok
    print(f"{n:<{width}}  {ha:<16}  {hb:<16}  {'yes' if ok else 'NO'}")
kinds = {}
for n in names:
    kinds.setdefault(Path(n).suffix or "(none)", 0)
    kinds[Path(n).suffix or "(none)"] += 1
summary = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
print(f"\n{same} of {len(names)} files identical ({summary}); "
      f"left out: {', '.join(sorted(SKIP_NAMES))}, logs/, benchmarks/")
sys.exit(0 if same == len(names) else 1)
EOF
}

job_overlap() {
  "$PYTHON" - "$WORK/slurm" /var/log/slurm/jobcomp.log "$1" <<'EOF'
import re
import sys
from datetime import datetime
from pathlib import Path

work, jobcomp, since = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
logs = sorted((work / ".snakemake" / "slurm_logs").rglob("*.log"))
ids = {}
for p in logs:
    rel = p.relative_to(work / ".snakemake" / "slurm_logs").parts  # rule_x / wildcards / jobid.log
    ids[p.stem] = (rel[0].removeprefix("rule_"), "/".join(rel[1:-1]))
spans = []
if jobcomp.exists():
    for line in jobcomp.read_text(errors="replace").splitlines():
        f = dict(re.findall(r"(\w+)=(\S+)", line))
        if f.get("JobId") in ids and f.get("StartTime") and f.get("EndTime"):
            t = [datetime.fromisoformat(f[k]).timestamp() for k in ("StartTime", "EndTime")]
            if t[0] >= since:
                spans.append((t[0], t[1], *ids[f["JobId"]]))


def dataset(wildcards: str) -> str:
    """The dataset of a job from its log folder (the wildcards, '/' as '_': results_a, data_b)."""
    m = re.search(r"(?:results|data)_([A-Za-z0-9]+)", wildcards)
    return m.group(1) if m else "?"


jobs = [(s, e, rule, dataset(wc)) for s, e, rule, wc in spans]
by_ds = {}
for *_, ds in jobs:
    by_ds[ds] = by_ds.get(ds, 0) + 1
events = sorted([(s, 1) for s, *_ in jobs] + [(e, -1) for _, e, *_ in jobs])
cur = peak = 0
for _, d in events:
    cur += d
    peak = max(peak, cur)
# jobs that overlapped in time with a job of another dataset (end and start times to the second)
both = sum(
    any(s2 < e and s < e2 and ds2 != ds for s2, e2, _, ds2 in jobs) for s, e, _, ds in jobs
)
counts = ", ".join(f"dataset {k}: {v}" for k, v in sorted(by_ds.items()))
print(
    f"Slurm jobs: {len(jobs)} ({counts}); at most {peak} running at once; "
    f"{both} ran while a job of the other dataset was running"
)
EOF
}

rule_times() {  # the Slurm run's job times of the free-text work, from the rules' benchmark files
  "$PYTHON" - "$WORK/slurm" <<'EOF'
import csv
import sys
from pathlib import Path

work = Path(sys.argv[1])


def seconds(p: Path) -> float:
    with p.open(encoding="utf-8") as f:
        return float(next(csv.DictReader(f, delimiter="\t"))["s"])


for ds in sorted(p.name for p in (work / "results").iterdir() if p.is_dir()):
    bench = work / "results" / ds / "benchmarks"
    chunks = [seconds(p) for p in sorted((bench / "scrub_text").glob("*.tsv"))]
    text = (
        f"{len(chunks)} scrub_text job(s) "
        + " + ".join(f"{s:.1f}" for s in chunks)
        + f" s (slowest {max(chunks):.1f} s)"
        if chunks
        else "no scrub_text job (scrubbed inside deidentify)"
    )
    print(f"dataset {ds}: {text}; deidentify {seconds(bench / 'deidentify.tsv'):.1f} s")
EOF
}

# --------------------------------------------------------------------------------------------------
main() {
  local t_all=$SECONDS
  # stop what was started also when a step fails (die, set -e) or the script is interrupted
  trap '[[ $KEEP_CLUSTER -eq 1 ]] || stop_started' EXIT
  trap 'exit 130' INT TERM
  install_packages
  start_munge
  write_conf
  start_slurm
  clean_env
  if [[ -z "$WORK" ]]; then WORK="$(mktemp -d /tmp/mscsurvey-slurm-XXXXXX)"; fi
  mkdir -p "$WORK"
  write_config "$WORK/config.yaml" 1
  write_config "$WORK/config_slurm.yaml" "$TEXT_CHUNKS"
  say "study: two synthetic datasets, a ($N_A rows) and b ($N_B rows), in $WORK; free text in 1 job" \
    "locally, in $TEXT_CHUNKS scrub_text jobs per dataset on Slurm"
  if reusable_local; then
    say "local run: reusing $WORK/local ($(cat "$WORK/local/seconds") s, same config and commit $(source_version))"
  else
    run_workflow local "$WORK/local" "$WORK/config.yaml" --cores 2
  fi
  local since
  since=$(date +%s)
  # (its logs kept, to tell which rule and dataset each Slurm job ran)
  run_workflow slurm "$WORK/slurm" "$WORK/config_slurm.yaml" --profile "$ROOT/profiles/slurm" --slurm-keep-successful-logs
  job_overlap "$since" || say "(no job overlap: the Slurm job logs could not be read)"
  rule_times || say "(no rule times: a benchmark file could not be read)"
  local status=0
  compare || status=$?
  say "local run $(cat "$WORK/local/seconds") s, Slurm run $(cat "$WORK/slurm/seconds") s, all $(( SECONDS - t_all )) s"
  [[ $status -eq 0 ]] && say "OK: the Slurm run's results are identical to the local run's" \
    || say "DIFFERENT: see the table above"
  return $status
}

if [[ $STOP_ONLY -eq 1 ]]; then
  stop_started
  exit 0
fi
main
