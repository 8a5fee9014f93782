"""Shared fixtures: real parts on loopback — a notification receiver, a PostgreSQL database, config dirs."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO / "config" / "example"
SHARED_DATA = REPO.parent / "shared" / "data"


@dataclass
class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records what Apprise's json:// posts to it.

    `mode[path_prefix]` makes a path fail ("fail": HTTP 500) or hang ("hang": no answer for 30 s).
    """

    server: ThreadingHTTPServer
    messages: list[dict[str, Any]] = field(default_factory=list)
    mode: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        assert isinstance(host, str)  # a TCP server's host (bytes only for a Unix socket)
        return f"{host}:{port}"

    def json_url(self, path: str) -> str:
        return f"json://{self.address}/{path.lstrip('/')}"

    def wait_for(self, count: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.1)
        with self.lock:
            return list(self.messages)


def _handler(receiver_ref: list[Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            receiver = receiver_ref[0]
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            behaviour = next((m for p, m in receiver.mode.items() if self.path.startswith(p)), "ok")
            if behaviour == "hang":
                time.sleep(30)
                return
            if behaviour == "fail":
                self.send_response(500)
                self.end_headers()
                return
            payload = json.loads(raw.decode("utf-8"))
            with receiver.lock:
                receiver.messages.append({"path": self.path, "at": time.time(), **payload})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    ref: list[Receiver] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    server.daemon_threads = True
    rec = Receiver(server=server)
    ref.append(rec)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()


def write_config(
    target: Path,
    *,
    board_url: str,
    receiver: Receiver | None = None,
    interval: int | None = None,
    download_delay: float | None = None,
    extra: dict[str, str] | None = None,
) -> Path:
    """The example configuration, pointed at a test board and a test receiver. `download_delay` sets the example
    sources' pause between requests (their default 0.5 s is most of a crawl's time on a loopback board)."""
    from config.demo import write_example_config

    inbox = f"json://{receiver.address}/inbox" if receiver is not None else None
    write_example_config(target, board_url=board_url, inbox=inbox, interval=interval, download_delay=download_delay)
    for name, text in (extra or {}).items():
        (target / name).write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def example_config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(EXAMPLE_CONFIG, target)
    return target


def _postgres_admin_dsn() -> str:
    return os.environ.get("YUQING_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The real PostgreSQL server on this machine. It must be running (.ci/run starts it): no silent skip."""
    import psycopg

    try:
        with psycopg.connect(_postgres_admin_dsn(), connect_timeout=5):
            pass
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({exc}); start it as .ci/run does")
    return _postgres_admin_dsn()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    import psycopg

    name = f"yuqing_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- a real node (YUQING_TEST_ES_URL, e.g. from scripts/es-node) ---------------------------------------------


@dataclass(frozen=True)
class EsNode:
    url: str  # as given (may carry credentials)
    shown: str  # without credentials, for messages
    version: str

    @property
    def major(self) -> int:
        head = self.version.split(".")[0]
        return int(head) if head.isdigit() else 0


@pytest.fixture(scope="session")
def es_node() -> EsNode:
    """The node named by YUQING_TEST_ES_URL. Unset: the test is skipped, saying so; set but unreachable: the
    test fails (a CI that started a node must not pass by skipping it)."""
    import base64
    import os
    import urllib.request

    from store.mentions.elastic import redact

    url = os.environ.get("YUQING_TEST_ES_URL", "")
    if not url:
        pytest.skip("YUQING_TEST_ES_URL is unset: no Elasticsearch node (scripts/es-node start prints one)")
    shown = redact(url)
    parts = urllib.parse.urlsplit(url)
    request = urllib.request.Request(shown.rstrip("/") + "/")
    if parts.username:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            info = json.load(response)
    except (OSError, ValueError) as exc:
        pytest.fail(f"YUQING_TEST_ES_URL is set but Elasticsearch at {shown} does not answer: {type(exc).__name__}")
    return EsNode(url=url, shown=shown, version=str(info.get("version", {}).get("number", "?")))


@pytest.fixture(scope="session")
def usable_es_node(es_node: EsNode) -> EsNode:
    """The node, when the store can use it; otherwise skip, naming the node and its version (the store's
    refusal of it is tested in test_elasticsearch_node.py)."""
    node = es_node
    if node.major not in (8, 9):
        pytest.skip(
            f"Elasticsearch {node.version} at {node.shown}: the store needs 8.x or 9.x "
            "(Maven Central's newest open node is 7.10.2; see docs/elasticsearch.md)"
        )
    return node


@pytest.fixture(params=["sqlite", "postgresql"])
def workflow_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Workflow-store tests run on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'workflow.sqlite3'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def make_config() -> Any:
    """`write_config` as a fixture, since test modules cannot import conftest under importlib mode."""
    return write_config


def _add_user(
    state: Any,
    name: str,
    role: str,
    unit: str | None = None,
    *,
    display_name: str | None = None,
    password: str | None = None,
) -> str:
    """Create the user in the API state's workflow database and return a new API token of theirs."""
    from store.workflow.db import utcnow
    from web.access import service
    from web.access.roles import Role

    with state.sessions.begin() as session:
        service.create_user(
            session,
            config=state.config,
            name=name,
            role=Role(role),
            unit=unit,
            password=password,
            display_name=display_name,
            actor="test",
            now=utcnow(),
        )
        _, token = service.issue_token(session, name=name, label="test", expires_in=None, actor="test", now=utcnow())
    return token


@pytest.fixture(scope="session")
def user_token() -> Any:
    """user_token(api_state, name, role, unit=None, display_name=None, password=None) -> a new user's API token."""
    return _add_user


def _tc3_expected(headers: dict[str, str], payload: bytes, secret_key: str, service: str = "sms") -> str:
    """The TC3-HMAC-SHA256 signature as Tencent Cloud's API 3.0 documentation builds it, written apart from the
    plugins (channels/tencent_cloud.py): `headers` lower-cased as received, `service` the API's (sms, vms)."""
    timestamp = int(headers["x-tc-timestamp"])
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = (
        f"POST\n/\n\ncontent-type:{headers['content-type']}\nhost:{headers['host']}\n"
        f"x-tc-action:{headers['x-tc-action'].lower()}\n\ncontent-type;host;x-tc-action\n"
        + hashlib.sha256(payload).hexdigest()
    )
    string_to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n" + hashlib.sha256(canonical.encode()).hexdigest()
    )
    k_date = hmac.new(("TC3" + secret_key).encode(), date.encode(), hashlib.sha256).digest()
    k_service = hmac.new(k_date, service.encode(), hashlib.sha256).digest()
    k_signing = hmac.new(k_service, b"tc3_request", hashlib.sha256).digest()
    return hmac.new(k_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(scope="session")
def tc3_expected() -> Any:
    """The loopback Tencent Cloud endpoints' signature check: tc3_expected(headers, payload, key, service)."""
    return _tc3_expected


# --- what an operator reads on the command line: Chinese (issue 15 §1) ----------------------------------------

# English an operator reads anyway, each for a reason: names of formats, protocols and programs they configure.
OPERATOR_WORDS = {
    "YAML", "JSON", "CSS", "XPath", "HTML", "HTTP", "HTTPS", "DNS", "UTF-8", "MB", "API", "PDF", "SMS", "IM",
    "PostgreSQL", "Elasticsearch", "Redis", "Ctrl", "C", "robots.txt", "localhost", "RSS", "Atom", "BOM", "ILM",
    "gb18030", "big5", "utf-8", "gbk",  # encodings, as written in sources.yaml
}  # fmt: skip
# Paths, URLs and time zone names (Asia/Shanghai): addresses, not words.
_PATH_OR_URL = re.compile(r"(?:[a-z][a-z0-9+]*://|/|\b[A-Z][a-z]+/)[^\s，。；：（）()「」“”'\"]+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\{\w+\}")  # what the operator wrote, echoed back; {page} placeholders
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*(?:\[\d+\][A-Za-z0-9_.\-]*)*")


def _config_words() -> set[str]:
    """Every key and fixed value an operator writes in the configuration directory, and the ids written there:
    a message may name them (须配置 json、page_url 须包含 {page}、信源 demo-baixing)."""
    import typing

    from pydantic import BaseModel

    import config.models
    import config.sources
    from config import load_config

    words: set[str] = set()
    models = [
        v
        for module in (config.models, config.sources)
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, BaseModel)
    ]
    for model in models:
        for name, info in model.model_fields.items():
            words |= {name, info.alias or name}
            for arg in typing.get_args(info.annotation) or ():
                words |= {str(v) for v in typing.get_args(arg) if isinstance(v, str)}
            words |= {str(v) for v in typing.get_args(info.annotation) if isinstance(v, str)}
    loaded = load_config(EXAMPLE_CONFIG)
    words |= {s.id for s in loaded.sources} | {u.id for u in loaded.units} | {c.id for c in loaded.channels}
    return words | {s.id for s in loaded.schemes}


def english_words(text: str, *, also: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """The English an operator would read in `text`: every word outside OPERATOR_WORDS, the configuration's
    keys and ids, `also`, environment variables (YUQING_…), paths, URLs and quoted values."""
    allowed = OPERATOR_WORDS | _config_words() | set(also)
    found: list[str] = []
    for line in text.splitlines():
        plain = _QUOTED.sub(" ", _PATH_OR_URL.sub(" ", line))
        for word in _IDENT.findall(plain):
            word = word.strip(".-")
            parts = re.split(r"[.\[\]\d]+", word)  # a field path: sources[0].list.item
            if not word or word.startswith("YUQING_") or word in allowed or all(p in allowed for p in parts if p):
                continue
            if re.fullmatch(r"[0-9a-f]{6,}|v?\d[\w.]*", word):  # a hash or a version
                continue
            found.append(f"{word!r} in {line.strip()[:140]!r}")
    return found


@pytest.fixture
def english_in() -> Any:
    """`english_in(text, also=...)`: the English words an operator would read in a command's output."""
    return english_words


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files with a slow test first (stable otherwise): the suite's two workers each take whole files (pytest-xdist
    `--dist loadfile`), and a long end-to-end file handed out last would leave one worker busy alone at the end."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)


class AppWorld:
    """The tests' view of the composition root: a `Services` (yuqing/services.py) over a fresh workflow database
    and SQLite mention store in a temporary folder, with the example configuration or the test's own; `app()` is
    the API built from the root's `api_state()` as `yuqing run` builds it."""

    def __init__(self, folder: Path, config: Any = None, *, workflow_url: str | None = None) -> None:
        from alerting.playbooks import load_playbooks
        from config import Settings, load_config
        from store.workflow.migrate import upgrade
        from yuqing.services import Services

        url = workflow_url or f"sqlite:///{folder / 'wf.sqlite3'}"
        upgrade(url)
        settings = Settings(config_dir=EXAMPLE_CONFIG, data_dir=folder, workflow_db=url, mention_store="sqlite")
        config = config if config is not None else load_config(EXAMPLE_CONFIG)
        self.services = Services(settings=settings, config=config, playbooks=load_playbooks(), yaml_config=config)

    @property
    def config(self) -> Any:
        return self.services.config

    @property
    def store(self) -> Any:
        return self.services.mentions

    @property
    def sessions(self) -> Any:
        return self.services.sessions

    def add_posts(self, posts: Any, *, analyse: bool = True) -> None:
        """Store the posts and (unless `analyse=False`) analyse every pending one, as the analysis job would."""
        from analysis.analyser import Analyser

        self.store.upsert_many(list(posts))
        if analyse:
            analyser = Analyser(self.config)
            pending = self.store.pending_analysis(10_000)
            self.store.save_analysis(
                [(m.id, analyser.analyse(title=m.title, content=m.content, default_unit=m.unit)) for m in pending]
            )

    def run_rules(self, first: str, *, base_url: str = "http://yq", **options: Any) -> None:
        """The alerting rules over the stored posts, at the time mention `first` was discovered."""
        from alerting.rules import run_rules

        mention = self.store.get(first)
        assert mention is not None, first
        run_rules(
            self.store,
            self.sessions,
            self.config,
            self.services.playbooks,
            base_url=base_url,
            now=mention.discovered_at,
            **options,
        )

    def state(self, **options: Any) -> Any:
        """The API's state from the root; a test's API has no ack links, data folder or heartbeat unless given."""
        defaults = {"base_url": "http://yq", "ack_links": None, "data_dir": None, "heartbeat_limit_seconds": None}
        return self.services.api_state(**(defaults | options))

    def app(self, **options: Any) -> Any:
        from api.app import create_app

        return create_app(self.state(**options))

    def close(self) -> None:
        self.services.close()


@pytest.fixture
def app_world(tmp_path: Path) -> Iterator[Any]:
    """app_world(config=None, *, workflow_url=None, folder=None) -> an AppWorld; every one is closed at teardown.
    The first keeps its stores in the test's tmp_path (workflow database wf.sqlite3, mentions.sqlite3)."""
    worlds: list[AppWorld] = []

    def make(config: Any = None, *, workflow_url: str | None = None, folder: Path | None = None) -> AppWorld:
        where = folder or (tmp_path / f"world{len(worlds)}" if worlds else tmp_path)  # the first: the test's own
        where.mkdir(parents=True, exist_ok=True)
        worlds.append(AppWorld(where, config, workflow_url=workflow_url))
        return worlds[-1]

    yield make
    for world in worlds:
        world.close()


@pytest.fixture(scope="module")
def module_app_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """As `app_world`, for a module's one shared world (the browser and the Chinese-everywhere tests)."""
    worlds: list[AppWorld] = []

    def make(config: Any = None, *, workflow_url: str | None = None) -> AppWorld:
        worlds.append(AppWorld(tmp_path_factory.mktemp("world"), config, workflow_url=workflow_url))
        return worlds[-1]

    yield make
    for world in worlds:
        world.close()


def _start_server(app: Any) -> tuple[Any, threading.Thread, str]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def _serving() -> Iterator[Any]:
    running: list[tuple[Any, threading.Thread]] = []

    def start(app: Any) -> str:
        server, thread, url = _start_server(app)
        running.append((server, thread))
        return url

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def serve() -> Iterator[Any]:
    """serve(app) -> the base URL of the app on a real uvicorn server on 127.0.0.1 (for streams, which the
    TestClient cannot read while they are open, and for browsers); stopped when the test ends."""
    yield from _serving()


@pytest.fixture(scope="module")
def module_serve() -> Iterator[Any]:
    """As `serve`, stopped when the module ends (one server for a module's browser tests)."""
    yield from _serving()


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    """chrome(window=(1280, 900), page_load_timeout=20) -> a headless Chromium (Selenium, offline); every one is
    quit when the module ends. Fails, not skips, without the browser: .ci/run installs chromium and its driver."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(f"the browser tests need {CHROMIUM} and {CHROMEDRIVER} (apt packages chromium, chromium-driver)")
    if not Path("/usr/lib/chromium/locales/zh-CN.pak").exists():
        pytest.fail("the browser tests need Chromium's Chinese locale (apt package chromium-l10n)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers: list[Any] = []

    def make(window: tuple[int, int] | None = (1280, 900), page_load_timeout: float = 20) -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN"):
            options.add_argument(arg)
        if window:
            options.add_argument(f"--window-size={window[0]},{window[1]}")
        # A JS dialog is left open (not dismissed), so a test can see that none opened.
        options.set_capability("unhandledPromptBehavior", "ignore")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # Chromium's locale, which draws date boxes (2026/12/02, not mm/dd/yyyy) whatever the page's lang says,
        # comes from LANG and needs Debian's chromium-l10n (.ci/run installs it); --lang alone is ignored.
        chinese = {**os.environ, "LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN"}
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER, env=chinese), options=options)
        driver.set_page_load_timeout(page_load_timeout)
        drivers.append(driver)
        return driver

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # Selenium Manager, were it ever reached, must not go online
        yield make
    for driver in drivers:
        driver.quit()
