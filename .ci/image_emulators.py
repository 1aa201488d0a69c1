"""Slack and prod's Kubernetes API for .ci/image, on loopback, and one person asking the bot.

    .venv/bin/python .ci/image_emulators.py STATE_DIR WORLD_DIR

WORLD_DIR is the sandbox world the GitHub emulator serves (``slackbot sandbox github --seed``).
Starts the Kubernetes API emulator as prod's cluster, with the Flux objects of what prod pins
applied (the sandbox's simulated cluster), and writes STATE_DIR/kubeconfig naming it as context
``sandbox-prod`` (readable by the container's user); starts the Slack emulator and writes
STATE_DIR/slack_api_url (the container gets it as SLACK_API_URL; the Socket Mode websocket is
announced through apps.connections.open). Then waits for the bot to connect and asks
``/versions prod jupyter_hub`` over the socket, as Slack would deliver it: the answer must name
prod's branch and what the cluster applied, read by the bot's Kubernetes client in the container.
The answer goes to STATE_DIR/answer, or what went wrong to STATE_DIR/failed. Then it keeps
serving, so the bot stays connected, until SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from slackbot.sandbox.clusters import SimulatedCluster, write_kubeconfig
from slackbot.sandbox.kube_emulator import KubeEmulator
from slackbot.sandbox.slack_emulator import SlackEmulator
from slackbot.sandbox.slack_payloads import SlackUser
from slackbot.sandbox.slack_user import Conversation, SocketDelivery
from slackbot.sandbox.world import seed_world
from slackbot.settings import load_config

CONNECT_WITHIN = 120.0  # seconds for the container to start and connect
# The branch the seeded world's prod pins for jupyter_hub, and the cluster having applied it.
EXPECTED = ("release/0.2.105", "applied, Ready")


def _write(path: Path, text: str) -> None:
    """Whole or not at all: the script polls for these files."""
    partial = path.with_suffix(".partial")
    partial.write_text(text)
    partial.replace(path)


def _ask(emulator: SlackEmulator, state: Path) -> None:
    if not emulator.socket_connected(timeout=CONNECT_WITHIN):
        _write(state / "failed", f"no bot connected over Socket Mode within {CONNECT_WITHIN:.0f} s\n")
        return
    conversation = Conversation(emulator, SocketDelivery(emulator, timeout=10), SlackUser(emulator))
    reply = conversation.ask("/versions prod jupyter_hub", timeout=30)
    if reply.ack.acked_in_time and all(part in reply.text for part in EXPECTED):
        _write(state / "answer", reply.text + "\n")
    else:
        _write(state / "failed", f"unexpected answer (ack {reply.ack.status}):\n{reply.text}\n")


def main(state: Path, world_dir: Path) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    world = seed_world(world_dir)  # already seeded: reused as it is
    with KubeEmulator() as kube, SlackEmulator(port=0) as emulator:
        SimulatedCluster("prod", "prod", world, load_config(world.config_path), kube=kube).tick()
        write_kubeconfig(state / "kubeconfig", {"sandbox-prod": kube}).chmod(0o644)  # for uid 10001
        _write(state / "slack_api_url", emulator.api_url + "\n")
        _ask(emulator, state)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
