"""The Slack entry layer, kept thin: the Bolt app (``app``), its listeners by surface (``commands/``,
``actions/``, ``views/``), getting answers to people when Slack refuses the response_url
(``delivery``), error sentences (``errors``), the HTTP server (``http``) and the checks in front
of Bolt on it (``guard``: Slack's request shape, sizes, replays). A listener acks, parses what
Slack sent into a command, hands it to the services, renders the answer and delivers it."""
