"""Operating the bot: Prometheus metrics (``metrics``), health and readiness (``health``) and
structured logs (``logs``). Adapters, the Slack layer and the scheduler report into a
:class:`~slackbot.observability.metrics.Metrics` they are given; nothing here is global."""
