"""Which configured unit a mention concerns: a unit named in the text, else the source's default unit."""

from __future__ import annotations

from dataclasses import dataclass

from config import Unit


@dataclass(frozen=True)
class Attribution:
    unit: str | None
    evidence: str


class UnitAttributor:
    def __init__(self, units: list[Unit]) -> None:
        # Longer names first, so 城关第一中学 wins over a bare 一中 alias of another unit.
        self.names = sorted(((name, u) for u in units for name in u.names), key=lambda p: -len(p[0]))

    def attribute(self, *, title: str, content: str, default_unit: str | None) -> Attribution:
        best: tuple[int, int, str, Unit] | None = None
        for field_rank, text in enumerate((title, content)):
            for name, unit in self.names:
                offset = text.find(name)
                if offset < 0:
                    continue
                key = (field_rank, -len(name), offset)
                if best is None or key < (best[0], -len(best[2]), best[1]):
                    best = (field_rank, offset, name, unit)
        if best is not None:
            return Attribution(best[3].id, f"单位：文中提及「{best[2]}」→ {best[3].name}")
        if default_unit:
            return Attribution(default_unit, "单位：来源的默认单位")
        return Attribution(None, "单位：未能确定")

    def words(self) -> set[str]:
        return {name for name, _ in self.names}
