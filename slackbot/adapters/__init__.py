"""One adapter per outside system, each implementing ports from ``slackbot.services.ports``.

GitHub: ``github`` (PyGithub, conditional reads), ``shared_reads`` (one read per branch per job run),
``github_statuses`` (Flux's commit statuses). Kubernetes: ``kubernetes`` (Flux objects, through
lightkube; ``kubernetes_sources``: Flux's kinds and versions). Slack: ``slack_web`` (threads,
reminders, user groups). The database: ``store``, ``db_schema``, ``db_engine``, ``db_rows``, and
``ledger`` (every shared fact's key, spelled once).
"""
