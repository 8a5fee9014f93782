"""The production compose file: its structure (read as YAML), and `docker compose config` accepting it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from config import Settings

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY", re.IGNORECASE)
SERVICES = {"elasticsearch", "postgres", "scheduler", "scheduler-standby", "api", "redis", "crawl-worker"}
REFERENCE = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*(:?[-?][^}]*)?\}$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else list(command)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_services_and_their_roles(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == SERVICES
    # Crawl workers and their Redis queue are opt-in; without them the active scheduler crawls by itself.
    assert {name for name, s in services.items() if s.get("profiles")} == {"redis", "crawl-worker"}
    assert services["crawl-worker"]["profiles"] == services["redis"]["profiles"] == ["workers"]
    assert _command(services["crawl-worker"])[:2] == ["yuqing", "crawl-worker"]
    assert services["crawl-worker"]["depends_on"]["redis"]["condition"] == "service_healthy"
    schedulers = {name for name, s in services.items() if _command(s)[:3] == ["yuqing", "run", "--no-api"]}
    assert schedulers == {"scheduler", "scheduler-standby"}  # one active, one standby: the leader lock decides
    for name in schedulers:
        assert services[name]["deploy"]["replicas"] == 1
        # The lock is a PostgreSQL advisory lock: both must use the same PostgreSQL database.
        assert _environment(services[name])["YUQING_WORKFLOW_DB"].startswith("postgresql+psycopg://")
    assert _environment(services["scheduler"]) == _environment(services["scheduler-standby"])
    runs = [name for name, s in services.items() if _command(s)[:2] == ["yuqing", "run"]]
    api = _command(services["api"])
    assert set(runs) == schedulers | {"api"} and "--no-scheduler" in api  # no scheduler hides in the API
    assert api[api.index("--workers") + 1] in {"${YUQING_API_WORKERS:-4}"}
    for name in (*schedulers, "api", "crawl-worker"):
        env = _environment(services[name])
        assert env["YUQING_MENTION_STORE"] == "elasticsearch"
        assert env["YUQING_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
        assert services[name]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_elasticsearch_is_one_node_with_security_on(compose: dict[str, Any]) -> None:
    es = compose["services"]["elasticsearch"]
    env = _environment(es)
    assert env["discovery.type"] == "single-node" and env["xpack.security.enabled"] == "true"
    assert env["ELASTIC_PASSWORD"].startswith("${ELASTIC_PASSWORD:?")
    assert any(v.endswith(":/usr/share/elasticsearch/data") for v in es["volumes"])
    assert _environment(compose["services"]["api"])["YUQING_ELASTICSEARCH_REPLICAS"] == "0"  # one node


def test_every_service_has_a_health_check_and_data_is_on_volumes(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    used: set[str] = set()
    for name, service in compose["services"].items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/", "$")):
                assert source in declared, f"{name} uses undeclared volume {source}"
                used.add(source)
    assert used == declared


def test_no_secret_is_written_in_the_file(compose: dict[str, Any]) -> None:
    assert "change-me" not in COMPOSE.read_text(encoding="utf-8")  # .env.example's placeholders stay there
    for name, service in compose["services"].items():
        for key, value in _environment(service).items():
            if SECRET_NAME.search(key):
                assert REFERENCE.match(value), f"{name}: {key} must come from .env, not be written here"
            if "://" in value and "@" in value:  # a URL with credentials: the password part is a reference
                credentials = value.split("://", 1)[1].split("@", 1)[0]
                assert "${" in credentials.split(":", 1)[1], f"{name}: {key} has an inline password"


def test_settings_named_in_the_deployment_exist() -> None:
    """Every YUQING_* variable in the compose file and .env.example is a real setting (a typo is ignored)."""
    fields = {f"YUQING_{name.upper()}" for name in Settings.model_fields}
    named = set(re.findall(r"\bYUQING_[A-Z0-9_]+", COMPOSE.read_text() + ENV_EXAMPLE.read_text()))
    deployment_only = {
        "YUQING_CONFIG_HOST_DIR",
        "YUQING_API_WORKERS",
        "YUQING_CRAWL_WORKERS",
        "YUQING_CRAWL_CONCURRENCY",
        "YUQING_DINGTALK_EDU_TOKEN",
        "YUQING_REDIS_URL",  # a setting of the crawl-worker branch (Redis queue), merged separately
    }
    assert named - deployment_only <= fields, named - deployment_only - fields
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE.read_text()))
    example = {line.split("=", 1)[0] for line in ENV_EXAMPLE.read_text().splitlines() if "=" in line}
    assert required <= example, f".env.example lacks {required - example}"


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    command = _compose_command()
    if command is None:
        reason = "neither `docker compose` (the plugin) nor docker-compose is installed; .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    shutil.copy(COMPOSE, tmp_path / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    done = subprocess.run([*command, "config"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert set(resolved["services"]) >= SERVICES - {"redis", "crawl-worker"}
    assert "${" not in done.stdout
    api = resolved["services"]["api"]
    assert api["environment"]["YUQING_ELASTICSEARCH_PASSWORD"] == "change-me"  # from .env, at deploy time
    with_workers = subprocess.run(
        [*command, "--profile", "workers", "config"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert with_workers.returncode == 0, with_workers.stderr
    workers = yaml.safe_load(with_workers.stdout)["services"]["crawl-worker"]
    assert workers["deploy"]["replicas"] == 2 and workers["command"][-1] == "2"
