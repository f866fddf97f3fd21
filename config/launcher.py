"""Start the dashboard for `make run`: demo mode without Sendcloud keys, live mode with both.

In demo mode this starts the Sendcloud simulator on a free loopback port with keys made up for
this run, then prepares the database and serves the dashboard with gunicorn. One Ctrl-C stops
every process it started.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def log(message: str) -> None:
    print(f"[run] {message}", flush=True)


def start_simulator(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """Start the simulator and return it with the base URL it printed."""
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "tickets.sendcloud.simulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--recent",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline().strip()
    if not line.startswith("SIMULATOR_URL="):
        process.terminate()
        raise SystemExit(f"The simulator failed to start (it printed {line!r}).")
    return process, line.removeprefix("SIMULATOR_URL=")


def manage(env: dict[str, str], *arguments: str) -> None:
    result = subprocess.run([PYTHON, "manage.py", *arguments], cwd=BASE_DIR, env=env)
    if result.returncode != 0:
        raise SystemExit(result.returncode)


def stop_on_sigterm(signal_number, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # A SIGTERM (from a supervisor or `kill`) stops the children like Ctrl-C does.
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    env = dict(os.environ)
    port = env.get("PORT", "8000")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise SystemExit(f"PORT must be a port number from 1 to 65535, not {port!r}.")
    has_public = bool(env.get("SENDCLOUD_PUBLIC_KEY", "").strip())
    has_secret = bool(env.get("SENDCLOUD_SECRET_KEY", "").strip())
    children: list[subprocess.Popen] = []

    if not has_public and not has_secret:
        env["DASHBOARD_DEMO"] = "true"
        env["SIMULATOR_PUBLIC_KEY"] = env["SENDCLOUD_PUBLIC_KEY"] = "demo-" + secrets.token_hex(8)
        env["SIMULATOR_SECRET_KEY"] = env["SENDCLOUD_SECRET_KEY"] = secrets.token_hex(24)
        simulator, url = start_simulator(env)
        children.append(simulator)
        env["SENDCLOUD_API_URL"] = url
        log(f"Demo mode: the Sendcloud simulator listens on {url}")
        children.extend(start_demo_portal(env, int(port)))
    elif has_public != has_secret:
        # The system check reports the same, but this names the key before SECRET_KEY is read.
        missing = "SENDCLOUD_SECRET_KEY" if has_public else "SENDCLOUD_PUBLIC_KEY"
        raise SystemExit(
            f"{missing} is missing: set both Sendcloud keys for live mode, or neither for the demo."
        )
    else:
        if not env.get("SECRET_KEY", "").strip():
            raise SystemExit("SECRET_KEY is missing: live mode needs it (see .env.example).")
        env["DASHBOARD_DEMO"] = "false"
        log(
            f"Live mode against {env.get('SENDCLOUD_API_URL') or 'https://panel.sendcloud.sc/api/v3'}"
        )

    try:
        # `check` names a missing key before anything else starts.
        manage(env, "check", "--fail-level", "ERROR")
        manage(env, "migrate", "--no-input", "--verbosity", "0")
        manage(env, "createcachetable")
        manage(env, "collectstatic", "--no-input", "--verbosity", "0")
        manage(env, "demo_account")
        for extra in extra_processes(env):
            children.append(extra)
        children.append(
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    "--config",
                    "config/gunicorn.conf.py",
                    "config.wsgi",
                    # PORT decides the address; workers and threads come from the
                    # configuration file and its environment variables.
                    "--bind",
                    f"127.0.0.1:{port}",
                ],
                cwd=BASE_DIR,
                env=env,
            )
        )
        log(f"Dashboard: http://127.0.0.1:{port}/  (Ctrl-C stops everything)")
        if env["DASHBOARD_DEMO"] == "true":
            log("Sign in with user name demo and password demo.")
        wait_for_any(children)
    except KeyboardInterrupt:
        log("Stopping.")
    finally:
        stop(children)
    return 0


def start_demo_portal(env: dict[str, str], port: int) -> list[subprocess.Popen]:
    """Serve a demo intranet portal on localhost, another site than the dashboard's 127.0.0.1.

    The portal frames the dashboard as a third party, so the demo shows the frame-ancestors
    policy, the cross-site cookies and the location messages as they work in production.
    """
    if port >= 65535:
        return []
    portal = f"http://localhost:{port + 1}"
    env.setdefault("DASHBOARD_FRAME_ANCESTORS", portal)
    env.setdefault("DASHBOARD_PORTAL_LINK", portal + "/?path={path}")
    env.setdefault("DASHBOARD_CROSS_SITE_COOKIES", "true")
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "config.portal_demo",
            "--host",
            "localhost",
            "--port",
            str(port + 1),
            "--dashboard",
            f"http://127.0.0.1:{port}",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    log(f"Demo intranet portal, framing the dashboard from another site: {portal}/")
    return [process]


def extra_processes(env: dict[str, str]) -> list[subprocess.Popen]:
    """Start the background processes beside the web server, such as the mirror sync."""
    sync_command = BASE_DIR / "tickets" / "management" / "commands" / "sync_tickets.py"
    if not sync_command.exists():
        return []
    return [
        subprocess.Popen([PYTHON, "manage.py", "sync_tickets", "--loop"], cwd=BASE_DIR, env=env)
    ]


def wait_for_any(children: list[subprocess.Popen]) -> None:
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    log("A process stopped; stopping the others.")


def stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    sys.exit(main())
