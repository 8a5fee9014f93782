"""Distinct major cases for the latency benches.

Each case is its own story: a different place, a different kind of harm and different wording, so the
same-story step (MinHash over 4-character shingles, and grouping by place and complaint) never folds one into
another and every post must open its own incident. `check_distinct` proves it for the texts it returns."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

from analysis.events.minhash import signature, similarity

# Places that name no configured unit, so each post goes to its source's (or the given) unit.
PLACES = [
    "东关小学",
    "北坪村",
    "河西幼儿园",
    "南湖中学",
    "清水镇卫生院",
    "城南实验学校",
    "石门村",
    "西岭职业中专",
    "桃园社区",
    "双桥中心校",
    "柳树湾村",
    "新华路小学",
]

# (title, body) with {place} and {n}: each harm is worded on its own.
HARMS = [
    ("{place}学生遭多人殴打住院", "{place}一名学生被几名同学围殴，头部受伤，已住院治疗，家长要求学校给说法。"),
    ("{place}食堂午餐变质多名学生呕吐", "{place}食堂中午饭菜有异味，多名学生饭后呕吐腹泻，已被送往医院。"),
    ("{place}有人持刀伤人", "今天上午{place}门口有男子持刀伤人，两人受伤倒地，救护车刚刚赶到。"),
    ("{place}学生从教学楼坠楼", "{place}一名初二学生从四楼坠下，伤势严重，正在抢救，现场有很多人围观。"),
    ("{place}工人拉横幅讨薪", "{place}几十名工人半年没拿到工资，今天拉横幅堵住大门，情绪激动。"),
    ("{place}燃气泄漏致人中毒", "{place}一栋楼燃气泄漏，一家三口中毒昏迷，消防和医生都来了。"),
    ("{place}危房墙体开裂随时倒塌", "{place}教室墙体大面积开裂，随时可能倒塌，孩子们还在里面上课。"),
    ("{place}老师体罚学生致伤", "{place}班主任用木棍打学生手心，孩子手掌肿胀骨裂，去医院拍了片子。"),
    ("{place}化工厂排污村民患病", "{place}旁边的化工厂夜里偷排废水，村里好多人皮肤溃烂、咳嗽不止。"),
    ("{place}村干部索要好处费", "{place}村支书办低保要每户交两千元好处费，不给就不批，群众敢怒不敢言。"),
    ("{place}校车侧翻多名儿童受伤", "{place}接送孩子的校车在山路上侧翻，车上十几个孩子受伤，有的流血。"),
    ("{place}宿舍火灾学生被困", "{place}学生宿舍楼起火，浓烟很大，有学生被困在楼上呼救。"),
]


# Context sentences, as long as a harm sentence: the k-th repeat of a harm takes the k-th opening and another
# closing, so two posts of the same harm share neither until they are 12 × 12 posts apart.
OPENINGS = [
    "我是附近的居民，实在看不下去了，今天必须在这里说一说。",
    "这件事已经在好几个家长群和业主群里传开了，大家都很担心。",
    "早上路过的时候亲眼看到的，拍了照片，希望有关部门重视。",
    "之前打过热线电话反映，一直没有人来处理，只好发到网上。",
    "听在那里上班的亲戚说的，情况比网上传的还要严重一些。",
    "周围的邻居都出来看了，议论纷纷，不知道后面怎么收场。",
    "事情发生在中午前后，当时现场很乱，好多人在打电话。",
    "本来不想发帖的，可是找了好几个部门都说不归他们管。",
    "以下情况属实，本人愿意承担责任，请大家帮忙转发扩散。",
    "作为一名普通老百姓，遇到这种事真的不知道该怎么办。",
    "刚才在朋友圈看到视频，核实以后才敢发出来让大家知道。",
    "昨天晚上就有苗头了，今天终于出了事，大家心里都不踏实。",
]
CLOSINGS = [
    "请领导尽快派人到现场核实处理，给群众一个交代。",
    "恳请相关部门马上介入调查，追究责任人的责任。",
    "希望媒体也来关注一下，不要让事情不了了之。",
    "我们不想闹大，只想要一个公道，请尽快回复。",
    "已经过去好几个小时了，还是没有看到任何人出面。",
    "请问这种情况应该找哪个部门，谁来负这个责？",
    "大家都很害怕再出事，请上级部门督促落实整改。",
    "现场照片和视频都有，可以随时提供给调查组。",
    "身边很多人都在转发，再不处理恐怕影响更大。",
    "这已经不是第一次了，请彻查背后的问题。",
    "希望县里的领导能看到这条帖子，救救孩子们。",
    "请把处理结果公开出来，让大家都能放心。",
]


def distinct_major_cases(count: int) -> list[tuple[str, str]]:
    """`count` cases, each a distinct harm at a distinct place (cycling places slower than harms)."""
    cases = []
    for n in range(count):
        title, body = HARMS[n % len(HARMS)]
        place = PLACES[(n // len(HARMS) + n) % len(PLACES)]
        repeat = n // len(HARMS)
        closing = CLOSINGS[(repeat + 5 * (n % len(HARMS))) % len(CLOSINGS)]
        text = OPENINGS[repeat % len(OPENINGS)] + body.format(place=place) + closing
        cases.append((f"{title.format(place=place)}（{n}）", text))
    return cases


def check_distinct(cases: list[tuple[str, str]], threshold: float = 0.5) -> None:
    """Fail when two cases would join one story (MinHash similarity at or over the events threshold)."""
    sigs = [signature(title + "\n" + body) for title, body in cases]
    for (i, a), (j, b) in combinations(enumerate(sigs), 2):
        if a is not None and b is not None and similarity(a, b) >= threshold:
            raise SystemExit(f"bench cases {i} and {j} would join one story ({similarity(a, b):.2f})")


def major_cases(config_dir: Path, count: int) -> tuple[list[tuple[str, str]], int]:
    """The first `count` distinct cases that today's analysis raises to the incident level, and how many it
    graded lower and were left out: these benches time the clock, not the judgement (bench/judgement.py)."""
    from datetime import UTC, datetime

    from analysis.analyser import Analyser
    from config import load_config

    config = load_config(config_dir)
    analyser = Analyser(config)
    opens_at = int(config.alerting.incident_level)
    kept: list[tuple[str, str]] = []
    dropped = 0
    for title, body in distinct_major_cases(count * 4):
        result = analyser.analyse(title=title, content=body, source=None, at=datetime.now(UTC), event=None)
        if result.level >= opens_at:
            kept.append((title, body))
            if len(kept) == count:
                break
        else:
            dropped += 1
    check_distinct(kept)
    return kept, dropped
