"""Unit routing by name on the graded DEV posts (complaint_severity/dev_labels.jsonl), with and without a territory.

The evaluation configuration models the data's own places and departments: our territory is A市 (the
provincial capital of the anonymised 西地省) with its districts and counties A1区…A9县 as places inside it; our
units are A市's government and its departments, each with the generic aliases people write (教育局, 住建局,
公安局, 市政府, …). The graded `unit` (the organisation the post is about, as written) is the truth where it
names a place: "A市住建局" should go to our 住建局; "K6县教育局", "B市住房公积金管理中心" or a district's own
bureau ("A3区教育局") should reach none of our departments by name. Graded units that name no place (a
company, an estate, "路政") cannot say whose territory they are in and are left out of the score (counted).

    python bench/unit_routing.py [--shared ../shared/data] [--show 10]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from pathlib import Path

from runinfo import bench_run  # bench/ is on sys.path when a bench script runs

from analysis.attribution import UnitAttributor
from config import Territory, Unit
from config.models import Place
from store.tokens import segment

REPO = Path(__file__).resolve().parent.parent
CITY = "A市"
# Our departments: (id, official name after A市, the aliases posts use). Generic on purpose: every city has them.
DEPARTMENTS = [
    ("gov", "人民政府", ["市政府", "市人民政府"]),
    ("edu", "教育局", ["教育局", "市教育局"]),
    ("housing", "住房和城乡建设局", ["住建局", "住房和城乡建设局", "住建委", "建委"]),
    ("police", "公安局", ["公安局", "市公安局"]),
    ("hr", "人力资源和社会保障局", ["人社局", "人力资源和社会保障局", "劳动局"]),
    ("env", "生态环境局", ["环保局", "环境保护局", "生态环境局"]),
    ("health", "卫生健康委员会", ["卫健委", "卫生局", "卫计委"]),
    ("transport", "交通运输局", ["交通局", "交通运输局"]),
    ("planning", "自然资源和规划局", ["规划局", "自然资源局", "国土局", "国土资源局"]),
    ("market", "市场监督管理局", ["市场监管局", "市场监督管理局", "工商局"]),
    ("urban", "城市管理和综合执法局", ["城管局", "城管执法局", "城市管理局"]),
    ("fund", "住房公积金管理中心", ["住房公积金管理中心", "公积金中心", "公积金管理中心"]),
    ("civil", "民政局", ["民政局"]),
    ("property", "住房保障服务局", ["住保局", "房产局", "住房保障局"]),
]
PLACE = re.compile(r"^(西地省|[A-Z][0-9]{0,3}[市县区])")


def units() -> list[Unit]:
    out = [Unit(id=f"a-{d}", name=f"{CITY}{name}", aliases=aliases) for d, name, aliases in DEPARTMENTS]
    return out


def territory(texts: list[str]) -> Territory:
    """A市 and every A-coded district or county the DEV texts name (A1区 … A9县)."""
    inner = sorted({m for t in texts for m in re.findall(r"(?<![A-Za-z0-9])A[0-9]{1,2}[区县市]", t)})
    places = [Place(name=p) for p in inner]
    # No 我市/本市: on a province-wide board they are the writer's city, not necessarily ours.
    return Territory(name=CITY, places=places, above=["西地省"])


def kind(unit: str) -> str:
    """ours (an A市 department), a-other (another A市 organisation), inner (a district's or county's own),
    foreign (another city or county, the province), or unknown (no place named)."""
    match = PLACE.match(unit)
    if match is None:
        return "unknown"
    if match.group(1) != CITY:
        return "inner" if re.match(r"A[0-9]", match.group(1)) else "foreign"
    return "ours" if expected(unit) else "a-other"


def expected(unit: str) -> str | bool | None:
    """Our unit id the graded unit is; None: none of ours; False: cannot tell (no place named)."""
    match = PLACE.match(unit)
    if match is None:
        return False
    if match.group(1) != CITY:
        return None  # another city, county, a district's own bureau, or the province
    rest = unit[len(CITY) :]
    for dept, name, aliases in sorted(DEPARTMENTS, key=lambda d: -max(len(a) for a in [d[1], *d[2]])):
        if any(a in rest for a in [name, *aliases]) or (dept == "gov" and rest in ("", "政府")):
            return f"a-{dept}"
    return None  # an A市 organisation that is not one of our departments (a company, an estate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--show", type=int, default=8, help="wrong routings listed per configuration")
    args = parser.parse_args()
    path = args.shared / "complaint_severity" / "dev_labels.jsonl"
    if not path.exists():
        raise SystemExit(f"{path} not found: this benchmark needs ../shared/data")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    graded = [(r, expected(r["unit"])) for r in rows if r["unit"]]
    scored = [(r, e) for r, e in graded if e is not False]
    print(
        f"{len(rows)} DEV posts, {len(graded)} with a graded unit, {len(scored)} naming a place "
        f"({sum(e is not None for _, e in scored)} one of our A市 departments, {sum(e is None for _, e in scored)} "
        "elsewhere or not a department); territory A市 with "
        f"{len(territory([r['text'] for r in rows]).places)} districts/counties"
    )
    # The analyser segments every post once and hands attribution the words: so does this benchmark.
    posts = []
    for row, _ in scored:
        title, _, content = row["text"].partition("。")
        posts.append((title, content, segment(f"{title}\n{content}")))
    kinds = Counter(kind(r["unit"]) for r, _ in scored)
    order = ["ours", "foreign", "inner", "a-other"]
    header = " ".join(f"{k + ' (' + str(kinds[k]) + ')':>14}" for k in order)
    print(f"{'configuration':<16} {'right':>6} {header} {'posts/s':>8} {'posts/CPU s':>10}")
    # posts/s: attribution alone, given the post's jieba words (as the analyser calls it)
    for label, terr in (("no territory", None), ("territory A市", territory([r["text"] for r in rows]))):
        attributor = UnitAttributor(units(), terr)
        attributor.attribute(title="E12市教育局", content="", default_unit=None)  # load jieba and its tags first
        right = 0
        routed: Counter[str] = Counter()  # per kind: routed right (ours) or routed to one of ours (the others)
        wrong: list[str] = []
        wall, cpu = time.perf_counter(), time.process_time()
        for (row, want), (title, content, words) in zip(scored, posts, strict=True):
            got = attributor.attribute(title=title, content=content, default_unit=None, words=words)
            right += got.unit == want
            k = kind(row["unit"])
            routed[k] += got.unit == want if k == "ours" else got.unit is not None
            if got.unit != want and len(wrong) < args.show:
                wrong.append(f"  {row['id']}: 标注「{row['unit']}」 期望 {want} 得到 {got.unit} — {got.evidence}")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        cells = " ".join(f"{routed[k]:>14}" for k in order)
        rates = f"{len(scored) / wall:>8,.0f} {len(scored) / cpu:>10,.0f}"
        print(f"{label:<16} {right / len(scored):>6.3f} {cells} {rates}")
        print("\n".join(wrong))
    print("right: share routed to the graded unit's department, or to none of ours when it is not one of them.")
    print("ours: A市 departments routed to the right one; foreign (another city or county, the province), inner")
    print("(a district's or county's own body) and a-other (an A市 company, estate…): posts routed to one of ours.")
    counts = Counter(type(e).__name__ for _, e in graded)
    print(f"graded units naming no place (left out): {counts['bool']}")


if __name__ == "__main__":
    with bench_run("unit_routing"):
        main()
