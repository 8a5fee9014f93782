"""What a complaint is about: the place or organisation it names and the matter, as story keys.

Near-copies are found by MinHash; repeated complaints are not copies — ten residents of one estate write ten
different posts about the cooking fumes of the shops below. Such posts share a named place or organisation (an
estate, a building, a school, a company, a project: "魅力之城小区", "丽发新城") and a complaint matter (油烟,
搅拌站, 开裂, 欠薪 …). A post's keys are every (place, matter) pair its title names (its opening lines when the
title names none); two posts with a key in common, within the story window, are one story.

Places are compared by their last three characters after the suffix, so "万科魅力之城小区" and "魅力之城小区"
are one place; generic stems (投诉小区, 附近小区, 该小区) name no place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from store.tokens import normalise

# A place or organisation: a name of 2–8 characters before one of these suffixes.
_SUFFIXES = (
    "小区|花园|公寓|大厦|家园|城|新村|山庄|广场|中学|小学|学校|幼儿园|医院|卫生院|公司|集团|工地|项目|楼盘|"
    "市场|公园|酒店|宾馆|商场|景区|工厂|厂|村"
)
_PLACE = re.compile(rf"([\u4e00-\u9fff]{{2,8}}?)(?:{_SUFFIXES})")
# Where a suffix occurs: a place's match lies within [suffix - 8, suffix + its length], so _PLACE runs only over
# those stretches of the text (it tried every position, ~20 µs on a 120-character opening; the same matches).
_SUFFIX = re.compile(_SUFFIXES)
_NAME_MAX = 8
_SUFFIX_MAX = max(len(suffix) for suffix in _SUFFIXES.split("|"))
# Address parts before the name: cut after the last of these (A2区丽发新城 → 丽发新城, 劳动东路魅力之城 → 魅力之城).
_ADDRESS = re.compile(r".*(?:省|市|区|县|镇|乡|街道|路|街|大道|巷|号|栋|期)")
_STOP_STEMS = frozenset(
    [
        "投诉",
        "举报",
        "反映",
        "我们",
        "我家",
        "本",
        "该",
        "这个",
        "那个",
        "整个",
        "所在",
        "附近",
        "旁边",
        "周边",
        "居民",
        "业主",
        "全体",
        "各个",
        "各",
        "多个",
        "一个",
        "这",
        "那",
        "个",
        "的",
        "在",
        "了",
        "和",
        "与",
        "及",
        "为",
        "对",
        "被",
        "把",
        "给",
        "请",
        "要",
        "问",
        "求",
        "关于",
        "有关",
        "建议",
        "希望",
        "咨询",
        "请问",
        "我",
        "我的",
        "住",
        "住在",
    ]
)
_LEADING = re.compile(r"^(?:投诉|举报|反映|关于|请问|建议|希望|咨询|我家|我们|住在|位于|在|对|把|给)+")
# A complaint matter and the words people use for it.
MATTERS: dict[str, tuple[str, ...]] = {
    "搅拌站": ("搅拌站", "搅拌厂", "混凝土搅拌"),
    "油烟": ("油烟", "排烟", "烧烤", "夜宵"),
    "噪音": ("噪音", "噪声", "扰民"),
    "开裂": ("开裂", "裂缝", "渗水", "漏水"),
    "消防": ("消防",),
    "虚假招商": ("招商",),
    "供水": ("供水", "水质", "停水"),
    "安全隐患": ("隐患", "电梯"),
    "违建": ("违建", "违章建筑", "违章搭建"),
    "停车": ("停车",),
    "垃圾": ("垃圾", "臭味", "恶臭"),
    "补课收费": ("补课", "乱收费", "班费", "收费"),
    "欠薪": ("拖欠", "欠薪", "工资", "工程款"),
    "拆迁": ("拆迁", "征收", "补偿"),
    "规划": ("规划",),
    "信息公开": ("公开",),
    "施工": ("施工",),
    "物业": ("物业",),
    "交房办证": ("交房", "房产证", "不动产证", "办证"),
    "污染": ("污染", "粉尘", "灰尘", "废气"),
}
_MATTER_OF = {word: matter for matter, words in MATTERS.items() for word in words}
_MATTER_WORDS = re.compile("|".join(sorted(map(re.escape, _MATTER_OF), key=len, reverse=True)))
OPENING = 120  # characters of the content looked at when the title names no place or no matter


def places(text: str) -> list[str]:
    """The places and organisations the text names, as comparable stems (the last three characters)."""
    return _places(normalise(text))


def _place_matches(text: str) -> Iterator[re.Match[str]]:
    """_PLACE.finditer(text), scanning only near the suffixes. A match ends in a suffix at most _NAME_MAX characters
    after it starts, so it lies inside the stretch around that suffix's occurrence; stretches that overlap are
    merged, so a match never straddles two. A suffix overlapping one found (工厂 over 厂) starts inside it and
    ends at most _SUFFIX_MAX characters after its end."""
    low = high = -1
    for found in _SUFFIX.finditer(text):
        start = max(0, found.start() - _NAME_MAX)
        if start > high:
            if high >= 0:
                yield from _PLACE.finditer(text, low, high)
            low = start
        high = found.end() + _SUFFIX_MAX
    if high >= 0:
        yield from _PLACE.finditer(text, low, high)


def _named_places(normalised: str) -> Iterator[tuple[str, str]]:
    """(stem, the place as written: its name without the address, and its suffix) for each place the text names."""
    for match in _place_matches(normalised):
        name = _ADDRESS.sub("", match.group(1))
        name = _LEADING.sub("", name)
        if len(name) < 2 or name in _STOP_STEMS or any(s in _STOP_STEMS for s in (name[:1], name[:2])):
            continue
        yield name[-3:], name + normalised[match.end(1) : match.end()]


def _places(normalised: str) -> list[str]:
    return list(dict.fromkeys(stem for stem, _ in _named_places(normalised)))


def place_as_written(title: str, content: str, stem: str) -> str | None:
    """The place whose story-key stem is `stem`, as this post writes it (关第一 → 城关第一中学): the stem compares
    places but is a fragment, and users read whole names. Looked for where story_keys looks: title, then opening."""
    for text in (title, content[:OPENING]):
        for found, written in _named_places(normalise(text)) if text else ():
            if found == stem:
                return written
    return None


def matters(text: str) -> list[str]:
    return _matters(normalise(text))


def _matters(normalised: str) -> list[str]:
    return list(dict.fromkeys(_MATTER_OF[m.group()] for m in _MATTER_WORDS.finditer(normalised)))


def story_keys(title: str, content: str) -> list[str]:
    """`place|matter` for every place and matter the title names (the opening of the content stands in for
    a title that names neither)."""
    head = normalise(title) if title else ""  # each text normalised once, for both its places and its matters
    opening = ""
    where = _places(head) if head else []
    if not where:
        opening = normalise(content[:OPENING])
        where = _places(opening)
    if not where:  # no place: no key, whatever the matter
        return []
    what = _matters(head) if head else []
    if not what:
        opening = opening or normalise(content[:OPENING])
        what = _matters(opening)
    return [f"{p}|{m}" for p in where for m in what]
