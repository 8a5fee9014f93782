# One image for every Yuqing role: scheduler, API, crawl workers (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
# Briefings as PDF (WeasyPrint): Pango, HarfBuzz's subsetter and a Chinese font.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        libharfbuzz-subset0 fonts-wqy-zenhei && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml setup.py README.md ./
COPY config ./config
COPY crawlers ./crawlers
COPY store ./store
COPY analysis ./analysis
COPY alerting ./alerting
COPY briefings ./briefings
COPY channels ./channels
COPY sources ./sources
COPY web ./web
COPY api ./api
COPY yuqing ./yuqing
COPY textquery ./textquery
COPY playbooks ./playbooks
COPY training ./training
# gcc only to build the compiled tokeniser (store/_jiebac.c; without it jieba itself cuts, ~14× slower) and the
# judgement's loops (store/_judgec.c; without it Python grades the same, slower), then removed.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install --no-cache-dir . \
    && (cd / && python -c "import store._jiebac, store._judgec") \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
ENV YUQING_DATA_DIR=/data YUQING_CONFIG_DIR=/config
VOLUME ["/data"]
EXPOSE 8600
CMD ["yuqing", "run"]
