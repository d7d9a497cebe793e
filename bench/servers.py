"""What the benches start and watch: a private redis-server, the app's backend in production mode
(`reflex run --env prod --backend-only`, granian) from a copy of the app, and the CPU of a server
and its worker processes, read from /proc."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import processes

ROOT = Path(__file__).resolve().parents[1]


def start_redis(workdir: Path) -> tuple[subprocess.Popen, int]:
    """A redis-server of our own on a free port (its INFO counts this bench alone), no persistence."""
    port = processes.free_port()
    redis = shutil.which("redis-server") or "/usr/bin/redis-server"
    proc = processes.start(
        [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        dict(os.environ),
        workdir / "redis.log",
    )
    processes.wait_tcp(port, proc)
    return proc, port


def app_copy(workdir: Path) -> Path:
    """The app's files alone (no .web): the backend compiles into its own directory, apart from
    any other server of this checkout."""
    target = workdir / "app"
    if not target.exists():
        ignore = shutil.ignore_patterns(
            ".git", ".venv", ".tools", ".web", ".states", "test-artifacts", "__pycache__", "*.db", ".logs", ".mail_sink"
        )
        shutil.copytree(ROOT, target, symlinks=True, ignore=ignore)
    return target


def start_prod_backend(port: int, env: dict, log: Path) -> subprocess.Popen:
    """The app as in production, backend only (no front-end build), answering /ping; GRANIAN_WORKERS
    in `env` says how many workers. It runs from a copy of the app beside `log`."""
    reflex = str(Path(sys.executable).parent / "reflex")
    cmd = [reflex, "run", "--env", "prod", "--backend-only", "--backend-port", str(port), "--backend-host", "127.0.0.1"]
    proc = processes.start(cmd, env, log, cwd=app_copy(log.parent))
    processes.wait_http(f"http://127.0.0.1:{port}/ping", proc, timeout=300, log_path=log)
    return proc


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (which may hold spaces); None once the process is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return fields if len(fields) > 12 else None


def descendants(pid: int) -> list[int]:
    """Every process under `pid` (granian and uvicorn fork their workers), not `pid` itself."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            parents[int(entry.name)] = int(fields[1])
    tree: set[int] = set()
    frontier = [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier and p not in tree]
        tree.update(children)
        frontier = children
    return sorted(tree)


def cpu_ticks(pid: int) -> int:
    """User + system CPU of one process, in clock ticks (0 once it is gone)."""
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0  # utime, stime


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants."""
    return sum(cpu_ticks(p) for p in [pid, *descendants(pid)]) / os.sysconf("SC_CLK_TCK")
