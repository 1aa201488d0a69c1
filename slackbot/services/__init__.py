"""The use cases, talking to the outside world only through the ports in ``ports.py``.

One job per module: ``commands`` (one entry for every `/hotfix` command) hands each command to
``starting``, ``pulls``, ``backmerge``, ``tracking`` or ``reminders`` (snoozes); ``access`` says who
may, ``records`` keeps and audits hot-fixes, ``announcer`` keeps the Slack thread. The scheduled
follow-up is ``followup`` over ``watcher``, ``rollouts``, ``outages`` and ``reminders``.
``versions`` reads pins from GitHub and ``version_queries`` answers `/versions`. ``wiring``
connects them all; services return data (``outcome``, ``slackbot.domain.events``), never words.
"""
