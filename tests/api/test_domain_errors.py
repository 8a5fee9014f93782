"""The API answers the incident service's refusals by their type, never by their wording."""

from __future__ import annotations

from alerting.incidents import service
from api.errors import domain_status


def test_each_typed_refusal_has_its_status_whatever_it_says() -> None:
    assert domain_status(service.NotFound("任务 3 已结束")) == 404  # no 不存在 in the text: still a 404
    assert domain_status(service.Conflict("某事物不存在")) == 409  # 不存在 in the text: still a 409
    assert domain_status(service.ReportMissing("尚未记录报告")) == 409
    assert domain_status(ValueError("不存在")) is None
