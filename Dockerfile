# Small, non-root image that runs `slackbot serve` (Socket Mode when SLACK_APP_TOKEN is set).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY slackbot ./slackbot
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 slackbot
COPY --from=build /install /usr/local
USER slackbot
WORKDIR /home/slackbot
ENV SLACKBOT_CONFIG=/config/slackbot.yml
EXPOSE 3000
# In HTTP mode, point liveness/readiness probes at GET /healthz.
ENTRYPOINT ["slackbot"]
CMD ["serve", "--host", "0.0.0.0"]
