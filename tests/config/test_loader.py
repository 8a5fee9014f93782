"""Configuration: a good directory loads; every kind of bad input names its file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, Level, load_config


def test_example_configuration_loads(example_config_copy: Path) -> None:
    config = load_config(example_config_copy)
    assert {s.id for s in config.sources} == {"demo-baixing", "demo-tousu"}
    assert config.alerting.incident_level is Level.MAJOR
    assert config.unit("school-no1").parent == "county-edu"
    assert next(s for s in config.schemes if s.id == "school-bullying").severity is Level.MAJOR


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BAD_CASES = [
    # (file, old text, new text, expected file in error, expected field, expected words in message)
    (
        "sources.yaml",
        "    interval_seconds: 10\n",
        "    interval_secs: 10\n",
        "sources.yaml",
        "sources[0].interval_secs",
        "未知字段；此处可用：id, name, kind, start_urls",
    ),
    (
        "sources.yaml",
        "      max_pages: 3\n",
        "      max_pages: 3\n      replies: span.n\n",
        "sources.yaml",
        "sources[0].list.replies",
        "reply_count, view_count, up_votes, down_votes, status",
    ),
    (
        "sources.yaml",
        "interval_seconds: 10",
        "interval_seconds: often",
        "sources.yaml",
        "sources[0].interval_seconds",
        "应为整数",
    ),
    (
        "sources.yaml",
        '      item: "li.post-item"\n',
        "",
        "sources.yaml",
        "sources[0].list.item",
        "缺少必填字段",
    ),
    (
        "sources.yaml",
        'post_id_pattern: "/baixing/thread/(\\\\d+)"',
        'post_id_pattern: "/baixing/thread/\\\\d+"',
        "sources.yaml",
        "sources[0].post_id_pattern",
        "括号分组",
    ),
    ("sources.yaml", "unit: county\n", "unit: nowhere\n", "sources.yaml", "sources[0].unit", "未知的单位"),
    (
        "sources.yaml",
        'item: "li.post-item"',
        'item: "li.post-item[["',
        "sources.yaml",
        "sources[0].list.item",
        "不是有效的 CSS 选择器（第 14 个字符附近有误）",
    ),
    (
        "sources.yaml",
        'content: "div.thread-content"',
        'content: "xpath://div[@class="',
        "sources.yaml",
        "sources[0].thread.content",
        "不是有效的 XPath 选择器",
    ),
    (
        "sources.yaml",
        "      max_pages: 3\n",
        '      max_pages: 3\n      page_url: "http://x/list?page=2"\n',
        "sources.yaml",
        "sources[0].list.page_url",
        "{page}",
    ),
    (
        "sources.yaml",
        "interval_seconds: 10",
        "encoding: gbkk",
        "sources.yaml",
        "sources[0].encoding",
        "未知的编码 'gbkk'",
    ),
    ("sources.yaml", "interval_seconds: 10", "timezone: Beijing", "sources.yaml", "sources[0].timezone", "未知的时区"),
    ("sources.yaml", "interval_seconds: 10", "kind: json", "sources.yaml", "sources[0].json", "缺少必填字段"),
    ("sources.yaml", "interval_seconds: 10", "kind: rss", "sources.yaml", "sources[0].list", "此类信源不用该字段"),
    ("sources.yaml", "interval_seconds: 10", "kind: ftp", "sources.yaml", "sources[0].kind", "html"),
    (
        "schemes.yaml",
        "severity: 重大",
        "severity: 很大",
        "schemes.yaml",
        "schemes[0].severity",
        "未知的级别",
    ),
    (
        "units.yaml",
        "channels: [inbox-edu-duty]",
        "channels: [sms-nowhere]",
        "units.yaml",
        "units[1].duty[0].channels[0]",
        "未知的通知渠道",
    ),
    (
        "units.yaml",
        "parent: county-edu",
        "parent: no-such-unit",
        "units.yaml",
        "units[2].parent",
        "未知的单位",
    ),
    ("units.yaml", "  above: [西地省]", "  above: [西地省]\n  towns: [x]", "units.yaml", "territory.towns", "未知字段"),
    ("units.yaml", "aliases: [城关, 本县", "aliases: ['', 本县", "units.yaml", "territory.aliases", "空名称"),
    (
        "alerting.yaml",
        "delivery_attempts: 3",
        "delivery_attempts: 0",
        "alerting.yaml",
        "alerting.delivery_attempts",
        "应不小于",
    ),
    (
        "channels.yaml",
        '"json://127.0.0.1:8600/demo/inbox/county-duty"',
        '"dingtalk://${NO_SUCH_TOKEN}/"',
        "channels.yaml",
        "channels[0].url",
        "NO_SUCH_TOKEN",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "err_file", "err_field", "words"), BAD_CASES)
def test_bad_configuration_names_file_and_field(
    example_config_copy: Path, file: str, old: str, new: str, err_file: str, err_field: str, words: str
) -> None:
    _edit(example_config_copy / file, old, new)
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    issues = caught.value.issues
    assert any(i.file.endswith(err_file) and i.field == err_field and words in i.message for i in issues), [
        str(i) for i in issues
    ]


def test_missing_file_is_named(example_config_copy: Path) -> None:
    (example_config_copy / "units.yaml").unlink()
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    assert any(i.file.endswith("units.yaml") and "缺少此文件" in i.message for i in caught.value.issues)


def test_broken_yaml_is_named(example_config_copy: Path) -> None:
    (example_config_copy / "schemes.yaml").write_text("schemes: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    assert any(i.file.endswith("schemes.yaml") and "YAML" in i.message for i in caught.value.issues)


def test_wrong_top_level_key(example_config_copy: Path) -> None:
    (example_config_copy / "units.yaml").write_text("unit: []\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    assert any("顶层须有且只有一个键 'units'" in i.message for i in caught.value.issues)


def test_units_file_carries_the_territory(example_config_copy: Path) -> None:
    territory = load_config(example_config_copy).territory
    assert territory is not None and territory.name == "城关县"
    assert "东乡" in territory.own_names
    _edit(example_config_copy / "units.yaml", "territory:", "territories:")
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    assert any("（可另有 'territory'）" in i.message for i in caught.value.issues)


def test_all_errors_reported_together(example_config_copy: Path) -> None:
    _edit(example_config_copy / "sources.yaml", "unit: county\n", "unit: nowhere\n")
    _edit(example_config_copy / "units.yaml", "parent: county-edu", "parent: nowhere")
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    assert len(caught.value.issues) >= 2


def test_secrets_come_from_environment_or_secrets_file(
    example_config_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _edit(
        example_config_copy / "channels.yaml",
        '"json://127.0.0.1:8600/demo/inbox/county-duty"',
        '"dingtalk://${DT_TOKEN}/"',
    )
    _edit(
        example_config_copy / "channels.yaml",
        '"json://127.0.0.1:8600/demo/inbox/propaganda"',
        '"wecom://${WECOM_KEY}"',
    )
    monkeypatch.setenv("DT_TOKEN", "env-secret-123")
    (example_config_copy / "secrets.env").write_text("# test\nWECOM_KEY=file-secret-456\n", encoding="utf-8")
    config = load_config(example_config_copy)
    assert config.channel("inbox-county-duty").url.get_secret_value() == "dingtalk://env-secret-123/"
    assert config.channel("inbox-propaganda").url.get_secret_value() == "wecom://file-secret-456"
    # Secrets never show in a printed or serialised configuration.
    assert "env-secret-123" not in repr(config) and "env-secret-123" not in config.model_dump_json()
    assert "file-secret-456" not in str(config.channels)


def test_check_config_cli_reports_and_fails(example_config_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from yuqing.cli import main

    assert main(["check-config", "--config", str(example_config_copy)]) == 0
    _edit(example_config_copy / "sources.yaml", "unit: county\n", "unit: nowhere\n")
    assert main(["check-config", "--config", str(example_config_copy)]) == 2
    err = capsys.readouterr().err
    assert "sources.yaml: sources[0].unit: 未知的单位 'nowhere'" in err


def test_run_refuses_to_start_on_bad_configuration(
    example_config_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from yuqing.cli import main

    _edit(example_config_copy / "schemes.yaml", "severity: 重大", "severity: 很大")
    data = tmp_path / "data"
    assert main(["run", "--no-api", "--config", str(example_config_copy), "--data", str(data)]) == 2
    assert "schemes.yaml: schemes[0].severity" in capsys.readouterr().err
    assert not data.exists()  # nothing started half-way: no store, no database


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        ("{name: x, start: 2027-03-15, end: 2027-03-03, incident_level: 较大}", "calendar[0]", "早于开始日期（start）"),
        ("{name: x, start: 2027-03-03, end: 2027-03-15, risk_points: 0}", "calendar[0]", "加 risk_points"),
        (
            "{name: x, start: 2027-03-03, end: 2027-03-15, report_window_minutes: 1}",
            "calendar[0].report_window_minutes",
            "应不小于",
        ),
    ],
)
def test_bad_sensitive_period(example_config_copy: Path, entry: str, field: str, words: str) -> None:
    (example_config_copy / "calendar.yaml").write_text(f"calendar:\n  - {entry}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    assert any(
        i.file.endswith("calendar.yaml") and i.field == field and words in i.message for i in caught.value.issues
    ), [str(i) for i in caught.value.issues]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("(学校 OR 食堂", "方案「校园欺凌」：检索式语法错误：左括号没有闭合（第 1 个字符处）"),
        ("学校 OR OR 食堂", "方案「校园欺凌」：检索式语法错误：此处应为词语（第 7 个字符处）"),
        ("NOT 演练", "方案「校园欺凌」：检索式会命中不含其中任何词语的帖子（只有 NOT 的部分）"),
    ],
)
def test_a_scheme_query_error_names_file_field_scheme_and_position(
    example_config_copy: Path, query: str, message: str
) -> None:
    _edit(example_config_copy / "schemes.yaml", "    name: 校园欺凌\n", f"    name: 校园欺凌\n    query: '{query}'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    assert [str(i).split("schemes.yaml: ")[1] for i in caught.value.issues] == [f"schemes[0].query: {message}"]


@pytest.mark.parametrize(
    ("new", "field", "words"),
    [
        ("subject: [" + ", ".join(f"词{i}" for i in range(1001)) + "]", "schemes[0].subject", "词语过多"),
        ("subject: [" + "长" * 51 + "]", "schemes[0].subject", "词语过长"),
        (
            "subject: ["
            + ", ".join(f"主{i}" for i in range(600))
            + "]\n    region: ["
            + ", ".join(f"地{i}" for i in range(600))
            + "]",
            "schemes[0]",
            "共 1",
        ),
    ],
)
def test_scheme_size_limits_name_file_and_field(example_config_copy: Path, new: str, field: str, words: str) -> None:
    _edit(
        example_config_copy / "schemes.yaml",
        "subject: [学生, 学校, 中学, 小学, 初中, 高中, 同学, 孩子, 校园, 小学生, 中学生, 初中生, 高中生]",
        new,
    )
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    issues = caught.value.issues
    assert any(i.file.endswith("schemes.yaml") and i.field == field and words in i.message for i in issues), [
        str(i)[:300] for i in issues
    ]
