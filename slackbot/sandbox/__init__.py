"""The built-in world for the demo and the tests: loopback emulators of GitHub (``github_emulator/``),
Slack (``slack_emulator/``) and the Kubernetes API (``kube_emulator``), simulated Flux clusters
(``clusters`` and ``flux_*``), real git repositories seeded from ``world/`` (``world``, ``gitrepo``),
a person using Slack (``slack_user``, ``slack_payloads``), the harness and the demo console.
Production code never imports it."""
