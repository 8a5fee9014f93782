"""Crawlers: a Scrapy project whose spiders are driven by source definitions in the configuration."""
