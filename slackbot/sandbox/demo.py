"""`slackbot demo`: the sandbox and a console where you type what you would type in Slack."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TextIO

from slackbot.sandbox.harness import Sandbox

HELP = """\
Type exactly what you would type in Slack, for example:
  /versions                      help and the list of environments
  /versions prod                 everything prod runs
  /versions prod jupyter_hub     one component, and who else uses its release branch
  /versions production jupyter   aliases work; so do typos (you get a "did you mean")
Console commands: help, quit."""


def run_demo(directory: Path | None, *, stdin: TextIO, stdout: TextIO) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if directory is None:
        with tempfile.TemporaryDirectory(prefix="slackbot-demo-") as temporary:
            _console(Path(temporary), stdin, stdout)
    else:
        directory.mkdir(parents=True, exist_ok=True)
        _console(directory, stdin, stdout)


def _console(root: Path, stdin: TextIO, stdout: TextIO) -> None:
    def say(text: str = "") -> None:
        stdout.write(text + "\n")
        stdout.flush()

    say("Starting the sandbox: seeding git repositories and starting the GitHub and Slack emulators…")
    with Sandbox(root) as box:
        say(f"  repositories  {box.world.repos_dir}")
        say(f"  GitHub API    {box.github.base_url}   (emulator, real git underneath)")
        say(f"  Slack API     {box.slack.api_url}   (emulator)")
        say(f"  the bot       {box.bot_url}/slack/events   (the production Bolt app, signed requests)")
        say(f"You are @{box.user.user_name} in #{box.user.channel_name}.\n")
        say(HELP)
        interactive = stdin.isatty()
        while True:
            if interactive:
                stdout.write(f"\n#{box.user.channel_name} @{box.user.user_name}> ")
                stdout.flush()
            line = stdin.readline()
            if not line:
                break
            line = line.strip()
            if not interactive and line:
                say(f"\n> {line}")
            if not line:
                continue
            if line in {"quit", "exit", "q"}:
                break
            if line in {"help", "?"}:
                say(HELP)
            elif line.startswith("/"):
                say(box.ask(line).text)
            else:
                say("Type a slash command such as `/versions prod`, or `help`.")
    say("Sandbox stopped.")
