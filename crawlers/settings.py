"""Scrapy settings: polite by default (robots.txt, AutoThrottle, two requests per domain, honest User-Agent)."""

BOT_NAME = "yuqing"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

USER_AGENT = "YuqingBot/0.1 (public-opinion monitoring of an organisation's own affairs; obeys robots.txt)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy starts this many asyncio tasks for every response's callback output; our callbacks yield at most a list
# page of items and the pipeline is synchronous, so the default 100 was a third of a crawl's CPU (bench/).
CONCURRENT_ITEMS = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
# The per-source max_page_bytes cuts pages (crawlers.pagesize); this is only the last safety net.
DOWNLOAD_MAXSIZE = 128 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
RETRY_ENABLED = True
RETRY_TIMES = 2  # with Scrapy's backoff between attempts
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# Scrapy's lines about each page and post in Chinese; its versions table and closing stats dump are not for an
# operator (the CLI prints its own summary of the crawl).
LOG_FORMATTER = "crawlers.logformat.ChineseLogFormatter"
LOG_VERSIONS: list[str] = []
STATS_DUMP = False
# Scrapy reads every callback's source and parses it (inspect + ast) to warn about a generator that returns a value;
# its cache misses on bound methods, so it did so for most responses: 5% of a crawl's CPU. Our spiders' callbacks
# are checked once, in the tests (tests/crawlers/test_settings.py), with Scrapy's own function.
WARN_ON_GENERATOR_RETURN_VALUE = False

SPIDER_MIDDLEWARES = {
    # Depth statistics and a development-time meta check: each spider middleware wraps every callback's output.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.AddressGuardMiddleware": 50,
    "crawlers.backoff.RetryBackoffMiddleware": 60,
}
ITEM_PIPELINES = {
    "crawlers.pipelines.MentionStorePipeline": 300,
}
EXTENSIONS = {
    # Scrapy's remote-control HTTP server would listen on a port of every crawl process: nothing here uses it.
    "scrapy.extensions.remote_control.RemoteControl": None,
    # Peak-memory checks against MEMUSAGE_LIMIT_MB, which we do not set (the scheduler's timeout kills a stuck crawl).
    "scrapy.extensions.memusage.MemoryUsage": None,
    "crawlers.health.CrawlHealthExtension": 500,
    "crawlers.paging.PagingMark": 200,
    "crawlers.pagesize.PageSizeLimit": 100,
}
