"""Buttons on the bot's messages: Open PR, Promote to main, Cancel, Snooze."""
