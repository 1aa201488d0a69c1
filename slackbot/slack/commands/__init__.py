"""Slash commands: `/versions` and `/hotfix`."""
