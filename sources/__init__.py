"""Sources as the service sees them, without Scrapy: each source's crawl runs and health, which the scheduler
records and the API, the operations alerts and the service's health read. The crawling itself is crawlers/."""
