# One image for every Yuqing role: scheduler, API, crawl workers (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
# Briefings as PDF (WeasyPrint): Pango, HarfBuzz's subsetter and a Chinese font.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        libharfbuzz-subset0 fonts-wqy-zenhei && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY config ./config
COPY crawlers ./crawlers
COPY store ./store
COPY analysis ./analysis
COPY alerting ./alerting
COPY briefings ./briefings
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
