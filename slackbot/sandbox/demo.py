"""`slackbot demo`: the sandbox and a console where you type what you would type in Slack.

Lines starting with `/` go to the bot exactly as Slack would deliver them (signed HTTP requests).
A few console commands stand in for what people do outside Slack: a developer pushing a fix to
the hot-fix branch, a reviewer pressing "Merge" on GitHub, and reading a thread.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from slackbot.domain.hotfix import Hotfix, Stage
from slackbot.sandbox.harness import GENERAL, INCIDENT, Sandbox
from slackbot.sandbox.render import render_message
from slackbot.sandbox.world import ApiError, commit_file, merge_pull, open_pulls

HELP = f"""\
Type exactly what you would type in Slack, for example:
  /versions                          help and the list of environments
  /versions prod                     everything prod runs
  /versions prod jupyter_hub         one component, and who else uses its release branch
  /versions production jupyter       aliases work; so do typos (you get a "did you mean")
  /hotfix prod jupyter_hub           start a hot-fix (the ticket comes from #{INCIDENT[1]})
  /hotfix pr 2291 · /hotfix promote 2291 · /hotfix status · /hotfix cancel 2291
  /hotfix prod jupyter_hub --chart 3.2.2 INC-31     change one version pin by pull request
What people do outside Slack:
  push [TICKET]        a developer pushes a fix to the hot-fix branch
  merge [TICKET]       a reviewer presses "Merge" on the hot-fix's open pull request on GitHub
  thread [TICKET]      show the hot-fix's Slack thread
  prs                  list open pull requests
  channel general|incident   type in #{GENERAL[1]} or #{INCIDENT[1]} (hot-fixes need an incident channel)
  help, quit"""


def run_demo(directory: Path | None, *, stdin: TextIO, stdout: TextIO) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if directory is None:
        with tempfile.TemporaryDirectory(prefix="slackbot-demo-") as temporary:
            _console(Path(temporary), stdin, stdout)
    else:
        directory.mkdir(parents=True, exist_ok=True)
        _console(directory, stdin, stdout)


class _Console:
    def __init__(self, box: Sandbox, say: Callable[[str], None]) -> None:
        self.box = box
        self.say = say

    def handle(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if line.startswith("/"):
            self.say(self.box.ask(line, timeout=30).text)
        elif word in {"help", "?"}:
            self.say(HELP)
        elif word == "push":
            self.push(rest)
        elif word == "merge":
            self.merge(rest)
        elif word == "thread":
            self.thread(rest)
        elif word == "prs":
            self.prs()
        elif word == "channel":
            self.channel(rest)
        else:
            self.say("Type a slash command such as `/versions prod`, a console command, or `help`.")

    def hotfix(self, ticket: str) -> Hotfix | None:
        store = self.box.bot.store
        found = store.find(ticket, active_only=False) if ticket else store.active()
        if not found:
            self.say(f"No hot-fix {ticket or 'is active'} yet: start one with `/hotfix prod jupyter_hub`.")
            return None
        return found[-1]

    def push(self, ticket: str) -> None:
        hotfix = self.hotfix(ticket)
        if hotfix is None:
            return
        path = f"hotfix-notes/{hotfix.ticket}.md"
        sha = commit_file(
            self.box.world.repo_dir(hotfix.repository),
            hotfix.branch,
            path,
            f"# {hotfix.ticket}\n\nThe fix for: {hotfix.summary or 'the incident'}\n",
            f"Fix {hotfix.ticket}",
        )
        self.say(f"(a developer pushed {sha[:7]} to {hotfix.branch} in {hotfix.repository})")

    def merge(self, ticket: str) -> None:
        hotfix = self.hotfix(ticket)
        if hotfix is None:
            return
        pull = hotfix.backmerge if hotfix.stage is Stage.BACKMERGE_OPEN else hotfix.pull
        if pull is None or hotfix.stage not in (Stage.PR_OPEN, Stage.BACKMERGE_OPEN):
            self.say(f"{hotfix.ticket} has no open pull request to merge ({hotfix.stage.value}).")
            return
        try:
            sha = merge_pull(self.box.world.repos_dir, hotfix.repository, pull.number)
        except ApiError as error:
            self.say(f"GitHub refused the merge: {error.message}")
            return
        self.say(f"(a reviewer merged #{pull.number} in {hotfix.repository} as {sha[:7]})")

    def thread(self, ticket: str) -> None:
        hotfix = self.hotfix(ticket)
        if hotfix is None or not hotfix.thread_ts:
            return
        slack = self.box.slack
        root = slack.message(hotfix.channel_id, hotfix.thread_ts)
        if root is not None:
            self.say(render_message(root.text, root.blocks))
        for reply in slack.thread(hotfix.channel_id, hotfix.thread_ts):
            self.say("  ↳ " + render_message(reply.text, reply.blocks).replace("\n", "\n    "))

    def prs(self) -> None:
        found = False
        for repository in sorted({h.repository for h in self.box.bot.store.all()}):
            for pull in open_pulls(self.box.world.repos_dir, repository):
                found = True
                self.say(f"{repository} #{pull['number']}: {pull['head']} → {pull['base']}  {pull['title']}")
        if not found:
            self.say("No open pull requests.")

    def channel(self, name: str) -> None:
        where = {"general": GENERAL, "incident": INCIDENT}.get(name.lstrip("#"))
        if where is None:
            self.say("Choose `channel general` or `channel incident`.")
            return
        self.box.user = self.box.person(channel=where)
        self.box.conversation = self.box.conversation_with(self.box.user)
        self.say(f"You are now in #{where[1]}.")


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
        console = _Console(box, say)
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
            console.handle(line)
    say("Sandbox stopped.")
