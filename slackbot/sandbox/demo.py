"""`slackbot demo`: the sandbox and a console where you type what you would type in Slack.

Lines starting with `/` go to the bot exactly as Slack would deliver them (signed HTTP requests).
A few console commands stand in for what people do outside Slack: a developer pushing a fix to
the hot-fix branch, a reviewer pressing "Merge" on GitHub, and reading a thread.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from slackbot.domain.hotfix import Hotfix, Stage
from slackbot.domain.make_like import MAKE_LIKE_ACTION
from slackbot.render.home_blocks import VERSIONS
from slackbot.render.hotfix_blocks import SNOOZE
from slackbot.render.terminal import render_message
from slackbot.sandbox.harness import GENERAL, INCIDENT, TEAM, Sandbox
from slackbot.sandbox.world import ApiError, commit_file, open_pulls

POLL = 2.0  # the demo's watcher interval (60 s in production)
APPLY_DELAY = 6.0  # how long the simulated Flux takes to apply a new commit

HELP = f"""\
Type exactly what you would type in Slack, for example:
  /versions                          help and the list of environments
  /versions prod                     everything prod runs
  /versions prod jupyter_hub         one component, and who else uses its release branch
  /versions production jupyter       aliases work; so do typos (you get a "did you mean")
  /versions diff prod stg            how prod differs from stg (and a "Make prod like stg" button)
  press COMPONENT                    press that button for COMPONENT (in an incident channel)
  /versions where jupyter_hub        one component in every environment, grouped by release branch
  /versions changes prod --since 90d what changed in prod's pins, newest first
  /hotfix prod jupyter_hub           start a hot-fix (the ticket comes from #{INCIDENT[1]})
  /hotfix pr 2291 · /hotfix promote 2291 · /hotfix status · /hotfix cancel 2291
  /hotfix report 2291                the hot-fix's timeline, for the post-incident review
  /hotfix prod jupyter_hub --chart 3.2.2 INC-31     change one version pin by pull request
The bot's Home tab in Slack:
  home                 open it: open hot-fixes, release branches main lacks, every environment
  home open ENV [COMPONENT]   pick ENV (and COMPONENT) in its menu: the `/versions` answer in a modal
  home snooze [N]      press the Nth "Snooze 1 day" on it (the first by default)
What people do outside Slack:
  push [TICKET]        a developer pushes a fix to the hot-fix branch
  merge [TICKET]       a reviewer presses "Merge" on the hot-fix's open pull request on GitHub
  thread [TICKET]      show the hot-fix's Slack thread
  prs                  list open pull requests
  wait [SECONDS]       let time pass (Flux rolls out; the bot's jobs run every {POLL:g} s)
  remind               run the back-merge reminder job now (it is scheduled for weekday mornings)
  fail ENV COMPONENT / heal ENV COMPONENT    make a simulated cluster's roll-out fail, or recover
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
        self.seen = box.slack.post_mark()
        self.shown_state: dict[str, str] = {}  # parent message ts -> the state last shown

    def feed(self) -> None:
        """Show what the bot posted on its own (thread replies, updates, digests) since last time."""
        fresh = self.box.slack.posts_since(self.seen)
        self.seen += len(fresh)
        names = {GENERAL[0]: GENERAL[1], INCIDENT[0]: INCIDENT[1], TEAM[0]: TEAM[1]}
        for post in fresh:
            if post.kind not in ("chat.postMessage", "chat.update"):
                continue
            where = "#" + names.get(post.channel or "", post.channel or "?")
            label = (
                f"[{where} thread]"
                if post.thread_ts
                else f"[{where}{' (edited)' if post.kind == 'chat.update' else ''}]"
            )
            if post.kind == "chat.update":
                state = _progress_lines(post.text, post.blocks)
                if self.shown_state.get(post.ts or "") != state:
                    self.shown_state[post.ts or ""] = state
                    self.say(f"{label} parent message now: {state}")
            else:
                self.say(f"{label} " + render_message(post.text, post.blocks).replace("\n", "\n    "))

    def handle(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if line.startswith("/"):
            self.say(self.box.ask(line, timeout=30).text)
            self.seen = self.box.slack.post_mark()  # the answer showed those already
            return
        commands: dict[str, Callable[[str], None]] = {
            "help": lambda _: self.say(HELP),
            "?": lambda _: self.say(HELP),
            "push": self.push,
            "merge": self.merge,
            "thread": self.thread,
            "prs": lambda _: self.prs(),
            "home": self.home,
            "press": self.press,
            "channel": self.channel,
            "wait": self.wait,
            "remind": lambda _: self.say(f"(reminders job: {self.box.bot.followup.remind()})"),
            "fail": lambda words: self.fail_or_heal("fail", words),
            "heal": lambda words: self.fail_or_heal("heal", words),
        }
        command = commands.get(word)
        if command is None:
            self.say("Type a slash command such as `/versions prod`, a console command, or `help`.")
            return
        command(rest)

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
            sha = self.box.merge(hotfix.repository, pull.number)
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

    def press(self, component: str) -> None:
        """Press "Make A like B" for one component on the latest `/versions diff` answer (after
        Slack's confirmation dialog, which the console takes as answered yes)."""
        conversation = self.box.conversation
        try:
            message = conversation.find_message_with(MAKE_LIKE_ACTION)
        except LookupError:
            self.say("Ask `/versions diff prod stg` first: its answer has the buttons.")
            return
        values = [
            str(element.get("value"))
            for block in message.blocks
            for element in [block.get("accessory") or {}, *block.get("elements", [])]
            if isinstance(element, dict) and element.get("action_id") == MAKE_LIKE_ACTION
        ]
        chosen = [v for v in values if v.rsplit("|", 1)[-1] == component.strip()]
        if not chosen:
            names = ", ".join(v.rsplit("|", 1)[-1] for v in values)
            self.say(f"The latest diff has a button for: {names or 'no component'}.")
            return
        # GitHub writes are a second apart (PyGithub's spacing): wait out the pauses between them.
        self.say(conversation.click(MAKE_LIKE_ACTION, chosen[0], message, timeout=60, settle=2.5).text)
        self.seen = self.box.slack.post_mark()

    def home(self, rest: str) -> None:
        """The Home tab as Slack shows it: opened, or one of its menus or buttons used."""
        words = rest.split()
        conversation = self.box.conversation
        if not words:
            self.say(conversation.open_home(timeout=30).text or "(the bot published no Home tab)")
            return
        if conversation.emulator.home_view(self.box.user.user_id) is None:
            conversation.open_home(timeout=30)  # a person sees the tab before using it
        if words[0] == "open" and 2 <= len(words) <= 3:
            action, value = VERSIONS, " ".join(words[1:])
        elif words[0] == "snooze" and len(words) <= 2 and (len(words) == 1 or words[1].isdigit()):
            buttons = conversation.open_home(timeout=30).options(SNOOZE)
            index = int(words[1]) - 1 if len(words) == 2 else 0
            if not 0 <= index < len(buttons):
                self.say(f"The Home tab has {len(buttons)} Snooze button(s).")
                return
            action, value = SNOOZE, buttons[index]
        else:
            self.say("`home`, `home open ENV [COMPONENT]` or `home snooze [N]`.")
            return
        try:
            reply = conversation.choose_in_home(action, value, timeout=30)
        except LookupError:
            self.say(f"The Home tab's menus offer no `{value}`: type `home` to see them.")
            return
        last = reply.posts[-1] if reply.posts else None
        self.say(render_message(last["text"], last["blocks"]) if last else "(the bot showed nothing)")
        self.seen = self.box.slack.post_mark()

    def prs(self) -> None:
        found = False
        for repository in sorted({h.repository for h in self.box.bot.store.all()}):
            for pull in open_pulls(self.box.world.repos_dir, repository):
                found = True
                self.say(f"{repository} #{pull['number']}: {pull['head']} → {pull['base']}  {pull['title']}")
        if not found:
            self.say("No open pull requests.")

    def wait(self, seconds: str) -> None:
        try:
            duration = float(seconds or POLL * 5)
        except ValueError:
            self.say("`wait` takes a number of seconds, e.g. `wait 15`.")
            return
        deadline = time.monotonic() + min(duration, 300)
        while time.monotonic() < deadline:
            time.sleep(0.5)
            self.feed()
        self.say(f"({duration:g} s later)")

    def fail_or_heal(self, word: str, rest: str) -> None:
        parts = rest.split()
        cluster = self.box.clusters.get(parts[0]) if parts else None
        if cluster is None or len(parts) != 2:
            self.say(f"`{word} ENV COMPONENT`, ENV one of: {', '.join(self.box.clusters)}.")
            return
        if word == "fail":
            cluster.fail(parts[1], message="Health check failed after 2m0s: deployment/hub not ready")
        else:
            cluster.heal(parts[1])
        self.say(
            f"(the {parts[0]} cluster's {parts[1]} roll-out will {'fail' if word == 'fail' else 'recover'})"
        )

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
    with Sandbox(root, clusters=True, apply_delay=APPLY_DELAY, scheduler_poll=POLL) as box:
        for cluster in box.clusters.values():
            cluster.start(interval=1.0)
        say(f"  repositories  {box.world.repos_dir}")
        say(f"  GitHub API    {box.github.base_url}   (emulator, real git underneath)")
        say(f"  Slack API     {box.slack.api_url}   (emulator)")
        say(f"  the bot       {box.bot_url}/slack/events   (the production Bolt app, signed requests)")
        say(f"You are @{box.user.user_name} in #{box.user.channel_name}.\n")
        say(HELP)
        console = _Console(box, say)
        interactive = stdin.isatty()
        say(
            f"Simulated Flux clusters: {', '.join(box.clusters)} (they apply a new commit {APPLY_DELAY:g} s after it lands)."
        )
        while True:
            if interactive:
                stdout.write(f"\n#{box.user.channel_name} @{box.user.user_name}> ")
                stdout.flush()
            line = stdin.readline()
            console.feed()
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


def _progress_lines(text: str, blocks: list[dict[str, Any]]) -> str:
    """The lines of an edited parent message that carry its state (progress and roll-outs)."""
    rendered = render_message(text, blocks).splitlines()
    state = [line.strip() for line in rendered if "→" in line or line.strip().startswith("Roll-out")]
    return " / ".join(state) or text
