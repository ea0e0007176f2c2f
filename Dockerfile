# Minbar service image: slim, non-root, health-checked.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY scheduler ./scheduler
# The catalogues are compiled here, so the image carries the .mo files (the checkout has .po only).
RUN pip install --no-cache-dir babel \
    && pybabel compile -D minbar -d bot/i18n/locales --statistics \
    && pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MINBAR_WEB__HOST=0.0.0.0
RUN groupadd --system minbar && useradd --system --gid minbar --home-dir /app minbar
COPY --from=build /install /usr/local
WORKDIR /app
COPY --chown=minbar:minbar config.toml ./config.toml
RUN mkdir -p /app/var && chown minbar:minbar /app/var
USER minbar
EXPOSE 8080
VOLUME ["/app/var"]
# /healthz answers as long as the process lives; the stdlib keeps the image free of curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"
STOPSIGNAL SIGTERM
ENTRYPOINT ["minbar"]
CMD ["run", "--config", "/app/config.toml"]
