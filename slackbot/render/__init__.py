"""The words and pictures, one module per surface; nothing here decides anything.

``words`` holds every hot-fix sentence (events and replies to words, in Slack's mrkdwn);
``hotfix_blocks``, ``versions_blocks`` and ``blocks`` build Block Kit; ``pull_requests`` the text
of the pull requests the bot opens on GitHub; ``terminal`` shows Block Kit as plain text, so the
command line and the demo say exactly what Slack shows.
"""
