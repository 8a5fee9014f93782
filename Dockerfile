# One image for every Yuqing role: scheduler, API, crawl workers (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY crawlers ./crawlers
COPY store ./store
COPY analysis ./analysis
COPY alerting ./alerting
COPY api ./api
COPY yuqing ./yuqing
COPY textquery ./textquery
COPY playbooks ./playbooks
COPY training ./training
RUN pip install --no-cache-dir .
ENV YUQING_DATA_DIR=/data YUQING_CONFIG_DIR=/config
VOLUME ["/data"]
EXPOSE 8600
CMD ["yuqing", "run"]
