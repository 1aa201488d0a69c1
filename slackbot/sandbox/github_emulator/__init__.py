"""A loopback GitHub REST API (v3) emulator backed by real bare git repositories.

PyGithub talks to it unchanged (``Github(base_url=emulator.base_url, ...)``), so the adapter code
that runs against github.com runs against this in the demo and the tests. It serves
``repos_dir/OWNER/NAME.git`` (looked up per request, so repositories created later appear) and
answers with GitHub's JSON shapes, status codes and messages, ETags and conditional requests (a
304 does not count against the rate limit), rate-limit headers, and pagination ``Link`` headers.
Pull requests and commit statuses persist as JSON inside each bare repository
(``NAME.git/emulator/``), so a restart keeps them; merges write real merge commits.
:func:`merge_pull_request` merges as a person pressing GitHub's button would, through the same
code as ``PUT .../pulls/{n}/merge`` (the demo console and scripts use it). ``clock`` (default: the
real time in UTC) is GitHub's time: it stamps pull requests, merges and statuses, and runs the
rate-limit windows and the expiry checks; a merge without HTTP takes the clock of the emulator
serving that repository in this process.

Where GitHub's published description says an answer changes shape, so does the emulator's (each
endpoint module quotes it): a comparison lists the 250 most recent commits unless paged (pages go
oldest first, the files on the first only); a file over 1 MB comes without its content
(``encoding: "none"``; raw with ``Accept: application/vnd.github.raw``, or through the blob API),
one over 100 MB is refused (403 ``too_large``); a symbolic link to a file in the repository answers
with that file, any other as ``type: "symlink"`` with its ``target``; a pull request's
``mergeable`` is null in the answer that opens it and in the first read after it opens or its head
or base moves (GitHub computes it in the background); a ref git cannot create beside another
(``a`` and ``a/b``) is 422 "Reference update failed". Every JSON body the bot reads is held to
GitHub's OpenAPI schema by ``tests/integration/test_github_schema.py``.

Only what the bot, the sandbox and the tests use is served; other paths answer 404 as GitHub does
for unknown ones. Writes: refs (create; update fast-forward only unless ``force``), file contents
(``PUT .../contents/{path}``), pull requests, merges and commit statuses. Branches matching a
pattern in ``NAME.git/emulator-protected`` behave as GitHub's protected branches that require pull
requests: a merge of a pull request may move them, nothing else (contents 409 and ref updates 422
"Changes must be made through a pull request."). Deleting refs or files is not emulated (404).

GitHub App authentication (``app=(app_id, public_key_pem)``): ``POST
/app/installations/{id}/access_tokens`` checks the ``Authorization: Bearer`` JWT as GitHub does
(RS256, signed by the App's key, ``iss`` the App id as a string or a number, ``iat`` not in the
future and ``exp`` not past nor more than 10 minutes ahead, each with 60 s of clock drift; 401 with
GitHub's messages otherwise) and answers 201 with an installation token (``ghs_...``) and its
``expires_at``. Those tokens are then accepted like ``token`` by every other endpoint until they
expire (401 "Bad credentials" after). ``app_installations`` limits the installations (404 "Not
Found" for others; any id by default); ``installation_token_ttl`` shortens the hour a token lives.
With ``app`` set every other endpoint needs ``token`` or a live installation token.
PyGithub's ``AppInstallationAuth`` calls nothing else (no ``GET /app/installations/{id}``).

Test hooks: ``requests`` (a log of every request, writes and refusals included),
``inject_fault`` (answer the next matching requests with an error, e.g. 502 or a rate-limit 403;
with ``after_applying``, carry them out first and lose the answer),
``delay`` (latency before every answer), ``token`` (401 "Bad credentials" for any other token),
``write_limit_per_minute`` (GitHub's secondary rate limit: 403 with ``Retry-After: 60`` for
writes beyond it; off by default), ``installation_tokens`` (the App's tokens, oldest first) and
``clock``.

The parts:

* ``server`` — ``GitHubEmulator`` (the facade and the order each request is answered in), the
  HTTP handler and the routing table.
* ``api`` — what every endpoint shares: ``ApiError``, the request and reply, the served ``Repo``
  and its URLs, the repository lookup with the clock, pagination.
* ``shapes`` — the JSON shapes of GitHub's answers (users, repositories, commits, files, refs,
  branches, contents, statuses, pull requests).
* ``state`` — pull requests and statuses stored in each bare repository, and their lock.
* ``auth`` — the token, GitHub App JWTs and installation tokens; ``limits`` — the primary and
  secondary rate limits; ``hooks`` — the request log (``RequestRecord``) and injected faults.
* The endpoints, one module a family: ``meta`` (``/rate_limit``, ``/user``, ``/users/{login}``),
  ``repos`` (the repository, a branch), ``git_refs``, ``git_objects`` (commits, blobs, trees),
  ``contents``, ``commits`` (a commit, the history, compare), ``statuses``, ``pulls`` and
  ``merge`` (with ``merge_pull_request`` and ``pull_request_summaries``).
* ``graphql_api`` — ``POST /graphql``: GitHub's GraphQL API for the part of GitHub's public schema
  in ``graphql_schema.graphql`` (a true subset, held to it by
  ``tests/integration/test_github_graphql_contract.py``), executed with graphql-core, with a points
  budget of its own (``emulator.graphql``: ``points_per_hour``, ``points_used()``, ``queries()``);
  ``graphql_git`` reads a query's git objects through one ``git cat-file --batch-command``.

Only the standard library, the ``git`` CLI (see :mod:`slackbot.sandbox.gitrepo`) and graphql-core
(``POST /graphql``); GitHub App authentication also needs PyJWT and cryptography (PyGithub's own
dependencies), imported only then.
"""

from slackbot.sandbox.github_emulator.api import ApiError
from slackbot.sandbox.github_emulator.auth import (
    JWT_EXP_PAST,
    JWT_EXP_TOO_FAR,
    JWT_IAT_INVALID,
    JWT_UNDECODABLE,
)
from slackbot.sandbox.github_emulator.hooks import RequestRecord
from slackbot.sandbox.github_emulator.limits import SECONDARY_RATE_LIMIT_MESSAGE
from slackbot.sandbox.github_emulator.merge import merge_pull_request, pull_request_summaries
from slackbot.sandbox.github_emulator.server import GitHubEmulator

__all__ = [
    "JWT_EXP_PAST",
    "JWT_EXP_TOO_FAR",
    "JWT_IAT_INVALID",
    "JWT_UNDECODABLE",
    "SECONDARY_RATE_LIMIT_MESSAGE",
    "ApiError",
    "GitHubEmulator",
    "RequestRecord",
    "merge_pull_request",
    "pull_request_summaries",
]
