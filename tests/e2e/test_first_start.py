"""First start as a newcomer: `bash scripts/run.sh` in a fresh clone prints numbered French steps,
says "prêt" only once the page answers, and leaves nothing behind when stopped; a port already
in use stops the start with a clear message."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support import processes

pytestmark = pytest.mark.e2e

READY = re.compile(r"^prêt : (http://\S+)")
NOISE = ("makemigrations", "Node.js is out of date", "uv run reflex", "generated a local master key", "App running at")


def _clean_env(**ports: int) -> dict[str, str]:
    """The caller's environment without the app's own settings (as on a newcomer's machine)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EPAY_", "REFLEX_"))}
    env.update({name: str(port) for name, port in ports.items()})
    return env


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A `git clone` of this checkout; the virtualenv and the tools (bun, node) already installed
    here by scripts/install.sh are reused through symlinks, so only the clone's own files differ."""
    target = tmp_path_factory.mktemp("first-start") / "epay"
    subprocess.run(["git", "clone", "--quiet", str(processes.ROOT), str(target)], check=True)
    for name in (".venv", ".tools"):
        (target / name).symlink_to((processes.ROOT / name).resolve())
    return target


def _processes_in(folder: Path) -> list[str]:
    """Processes whose working directory is inside `folder` (every child of the run script)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd == str(folder) or cwd.startswith(f"{folder}/"):
            found.append(f"{proc.name} {cmdline}")
    return found


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_run_script_says_ready_when_the_page_answers_and_stops_all_its_children(clone):
    ports = {"EPAY_PORT": processes.free_port(), "EPAY_SANDBOX_PORT": processes.free_port()}
    ports["EPAY_SMTP_PORT"] = processes.free_port()
    script = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=clone,
        env=_clean_env(**ports),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    ready = threading.Event()
    answered: dict[str, int] = {}

    def read_output():
        for line in script.stdout:
            lines.append(line.rstrip("\n"))
            match = READY.match(line)
            if match and not ready.is_set():
                # Checked at the moment the line is printed, before reading any further.
                base = f"http://127.0.0.1:{ports['EPAY_PORT']}"
                answered["login"] = httpx.get(f"{base}/login/", timeout=10).status_code
                answered["ping"] = httpx.get(f"{base}/ping", timeout=10).status_code
                ready.set()

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    try:
        ready.wait(timeout=900)
        assert ready.is_set(), "\n".join(lines[-40:])
        assert answered == {"login": 200, "ping": 200}
        before_ready = lines[: next(i for i, line in enumerate(lines) if READY.match(line))]
        steps = [line for line in before_ready if re.match(r"^\[\d/5\] ", line)]
        assert [s[:5] for s in steps] == ["[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]"], before_ready
        print("\n".join(lines))
        assert not [line for line in lines if any(word in line for word in NOISE)], lines
        assert sum("Clé maître locale créée" in line for line in lines) == 1, lines
        assert _processes_in(clone), "the app's processes should run from the clone"
    finally:
        script.send_signal(signal.SIGTERM)
        try:
            code = script.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(script.pid, signal.SIGKILL)
            raise
    assert code == 143
    deadline = time.monotonic() + 5  # the kernel reaps the last orphans asynchronously
    while _processes_in(clone) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_in(clone) == []
    assert [name for name, port in ports.items() if _listening(port)] == []


def test_a_port_in_use_stops_the_start_with_a_clear_message(clone):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            ["bash", "scripts/run.sh"],
            check=False,
            cwd=clone,
            env=_clean_env(
                EPAY_PORT=port, EPAY_SANDBOX_PORT=processes.free_port(), EPAY_SMTP_PORT=processes.free_port()
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"Le port {port} (l'application) est déjà utilisé" in result.stderr
    assert "démarrage annulé" in result.stderr
    assert "[1/5]" not in result.stdout  # nothing was installed or started
    assert _processes_in(clone) == []
