"""`python -m slackbot` is the `slackbot` command."""

from slackbot.cli import main

main()
