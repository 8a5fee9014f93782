"""Chinese notification texts: level, unit, title, link, time left."""

from __future__ import annotations

from datetime import datetime

from alerting.incidents.models import Incident
from config import Config, Level
from config.names import beijing_minute


def _unit_name(config: Config, unit_id: str | None) -> str:
    if not unit_id:
        return "未归属单位"
    try:
        return config.unit(unit_id).name
    except KeyError:
        return unit_id


def alert_message(config: Config, incident: Incident, *, base_url: str, now: datetime) -> tuple[str, str]:
    level = Level(incident.level).zh
    left = (incident.report_due_at - now).total_seconds() / 60
    deadline = (
        f"请于 {beijing_minute(incident.report_due_at)} 前（剩余 {max(left, 0):.0f} 分钟）电话或短信报告宣传部"
        if left > 0
        else f"报告时限 {beijing_minute(incident.report_due_at)} 已过，请立即报告宣传部"
    )
    title = f"【{level}舆情】{_unit_name(config, incident.unit)}：{incident.title[:40]}"
    body = "\n".join(
        [
            f"级别：{level}",
            f"单位：{_unit_name(config, incident.unit)}",
            f"标题：{incident.title}",
            f"发现时间：{beijing_minute(incident.discovered_at)}",
            deadline,
            f"原帖：{incident.url}",
            f"处置页面：{base_url}/incidents/{incident.id}",
        ]
    )
    return title, body


def breach_message(config: Config, incident: Incident, *, base_url: str) -> tuple[str, str]:
    level = Level(incident.level).zh
    window = round((incident.report_due_at - incident.discovered_at).total_seconds() / 60)
    title = f"【超时未报告】{_unit_name(config, incident.unit)}：{incident.title[:40]}"
    body = "\n".join(
        [
            f"{level}舆情发现于 {beijing_minute(incident.discovered_at)}，"
            f"{window}分钟报告时限 {beijing_minute(incident.report_due_at)} 已过，尚未记录向宣传部的报告。",
            f"标题：{incident.title}",
            f"处置页面：{base_url}/incidents/{incident.id}",
        ]
    )
    return title, body


def step_message(config: Config, incident: Incident, *, kind: str, base_url: str, now: datetime) -> tuple[str, str]:
    """The text of a clock step: the first alert, a reminder, an escalation or the breach notice."""
    if kind == "breach":
        return breach_message(config, incident, base_url=base_url)
    title, body = alert_message(config, incident, base_url=base_url, now=now)
    if kind == "reminder":
        left = max((incident.report_due_at - now).total_seconds() / 60, 0)
        return f"【提醒：距报告时限剩余{left:.0f}分钟】" + title.split("】", 1)[-1], "尚未记录向宣传部的报告。\n" + body
    if kind == "escalation":
        waited = (now - incident.discovered_at).total_seconds() / 60
        return (
            f"【升级：{waited:.0f}分钟未确认】" + title.split("】", 1)[-1],
            f"该{Level(incident.level).zh}舆情发现已 {waited:.0f} 分钟，值班人员尚未确认，请督促处置。\n" + body,
        )
    return title, body
