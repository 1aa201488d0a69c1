"""The Slack entry layer, kept thin: the Bolt app (``app``), its listeners by surface (``commands/``,
``actions/``, ``views/``), error sentences (``errors``) and the HTTP server (``http``). A listener
acks, parses what Slack sent into a command, hands it to the services and renders the answer."""
