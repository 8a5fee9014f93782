"""Sources as the service sees them, without Scrapy: each source's crawl runs and health (which the crawl records
and the API, the operations alerts and the service's health read), the operations alerts on a source, and their
API face (schemas, routes). The crawling itself is crawlers/; a source's configuration is config/sources.py."""
