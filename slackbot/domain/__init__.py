"""The bot's world as pure data and rules: no I/O, and nothing outside the standard library and ruamel.yaml.

Pins (``versions``, ``core_files``, ``legacy_files``, ``helm_releases``, ``yaml_nodes``, ``pin_edit``),
names and tickets (``names``, ``tickets``), what people type (``hotfix_commands``,
``versions_commands``), the hot-fix and its lifecycle (``hotfix``), roll-outs (``rollout``,
``followup``), what happened (``events``, ``views``, ``snooze``), and the errors people see
(``errors``).
"""
