# The bot's image: `slackbot serve` (Socket Mode when SLACK_APP_TOKEN is set), non-root (uid/gid
# 10001), made for a read-only root file system: it writes only to /data (SQLite) and /tmp.
#
#   docker build -t slackbot .
#   docker run --read-only --tmpfs /tmp -v slackbot-data:/data \
#     -v "$PWD/slackbot.yml:/etc/slackbot/slackbot.yml:ro" --env-file slackbot.env -p 8080:8080 slackbot
#
# BASE is any image with Python 3.11+ and its venv module: the official python image by default, or
# e.g. a Debian one with python3-venv (the interpreter must sit at the same path in both stages,
# which it does when both stages are the same image). There is no git in the image: the bot talks
# to GitHub's API only; git is for the sandbox (`slackbot demo`, `make demo`), run from a checkout.
ARG BASE=python:3.12-slim

FROM ${BASE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md ./
COPY slackbot ./slackbot
# The project's wheel, installed into a virtual environment of its own; pip and setuptools are
# not needed to run it.
RUN python3 -m venv /opt/slackbot \
 && /opt/slackbot/bin/pip wheel --quiet --no-deps --wheel-dir /tmp/wheels . \
 && /opt/slackbot/bin/pip install --quiet /tmp/wheels/slackbot-*.whl \
 && /opt/slackbot/bin/pip uninstall --quiet --yes pip setuptools \
 && /opt/slackbot/bin/slackbot --help > /dev/null

FROM ${BASE}
RUN groupadd --gid 10001 slackbot \
 && useradd --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin slackbot \
 && mkdir -p /data /etc/slackbot \
 && chown 10001:10001 /data \
 && chmod 0750 /data
COPY --from=build /opt/slackbot /opt/slackbot
# HOME=/tmp: anything that wants a home directory writes to the tmpfs, never to the image.
# The relative default database URL (sqlite:///slackbot.db) lands in /data, the working directory.
ENV PATH=/opt/slackbot/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SLACKBOT_CONFIG=/etc/slackbot/slackbot.yml
WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
# 3000: HTTP mode (POST /slack/events, /healthz, /readyz, /metrics); 8080: Socket Mode's health port.
EXPOSE 3000 8080
ENTRYPOINT ["slackbot"]
# Both listeners on every interface: in a container, loopback is reachable from nowhere else.
CMD ["serve", "--host", "0.0.0.0", "--health-host", "0.0.0.0", "--health-port", "8080"]
