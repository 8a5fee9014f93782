"""The API process never loads the crawler's engine: Scrapy and Twisted stay in the crawl processes."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_the_api_loads_neither_scrapy_nor_twisted() -> None:
    probe = "import json, sys\nimport api.app\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "fastapi" in loaded and "alerting" in loaded  # the probe really imported the app
    assert not loaded & {"scrapy", "twisted"}, sorted(loaded & {"scrapy", "twisted"})
