"""slackbot: versions and hot-fixes for Flux CD environments, from Slack.

``domain`` (pure rules and data) ← ``services`` (use cases over ports) ← ``adapters`` (GitHub,
Kubernetes, Slack's Web API, the database) and ``slack`` (the Bolt entry layer); ``render`` words
everything; ``bootstrap`` is the composition root; ``cli`` the command line; ``sandbox`` the
emulated world for the demo and the tests.
"""
