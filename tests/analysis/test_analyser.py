"""Analysis of real-looking complaint posts: schemes with evidence, unit attribution, sentiment, level."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.analyser import Analyser
from analysis.job import analyse_pending
from config import Level, load_config
from config.models import AnalysisSettings
from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore

MAX_CHARS = AnalysisSettings().max_chars


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser(load_config(Path(__file__).resolve().parents[2] / "config" / "example"))


CASES = [
    # (title, content, default unit, expected schemes, expected level, expected unit, sentiment label)
    (
        "城关第一中学学生被多人殴打住院",
        "我孩子在城关一中读初二，昨天晚自习后被几个同学围殴，头部受伤住院，学校一直推诿，希望教育局管管。",
        "county",
        {"school-bullying"},
        Level.MAJOR,
        "school-no1",
        "negative",
    ),
    (
        "学校食堂饭菜变质",
        "县教育局你好，我们学校食堂的午餐经常有变质的肉，好几个学生吃完呕吐腹泻。",
        "county",
        {"school-food-safety"},
        Level.MAJOR,
        "county-edu",
        # The review-trained model is unsure on complaint prose (学生吃 reads like 生吃 from food reviews):
        # it must not call it positive; the model card lists this domain gap.
        "negative|neutral",
    ),
    (
        "班主任强制收取资料费",
        "城关镇中心小学班主任要求每个学生交资料费200元，不交就不让上课，这是乱收费吗？",
        None,
        {"arbitrary-fees"},
        Level.LARGE,
        "town-chengguan",
        "negative",
    ),
    (
        "感谢城关镇政府及时修好路灯",
        "上周反映的路灯不亮问题，镇政府第二天就派人修好了，工作人员认真负责，点赞！",
        "county",
        set(),
        0,
        "town-chengguan",
        # Thanks is typed 表扬 from its title and, like a question or suggestion, labelled neutral unless strongly
        # polar: the writer thanks, nobody needs to act.
        "neutral",
    ),
    (
        "学校举办防欺凌宣传周活动",
        "城关一中本周开展防欺凌宣传，学生积极参加。",
        "county",
        set(),
        # A school event notice: the guide says 无. No notice is among the 768 graded posts (nor any 其他): the post
        # type model (format 2, pooled word vectors) reads it as calm (建议) and the calm rule keeps it at 无, and the
        # grader's format 2 reads it as unlike a complaint; the format 1 models said 一般 (GRADER_CARD.md). The
        # exclusion still keeps 欺凌 from the bullying scheme.
        0,
        "school-no1",
        "neutral",
    ),
    (
        "小区楼下噪音扰民没人管",
        "晚上十一点还在施工，噪音扰民严重，打了几次电话都没人管。",
        "county",
        {"pollution"},  # noise is environmental pollution (环境保护 in the 泰迪杯 taxonomy)
        Level.LARGE,  # the guide: "pollution or noise without illness" is 较大
        "county",
        "negative",
    ),
]


@pytest.mark.parametrize(("title", "content", "unit", "schemes", "level", "expected_unit", "label"), CASES)
def test_analyse(
    analyser: Analyser,
    title: str,
    content: str,
    unit: str | None,
    schemes: set[str],
    level: int,
    expected_unit: str,
    label: str,
) -> None:
    result = analyser.analyse(title=title, content=content, default_unit=unit)
    assert set(result.schemes) == schemes
    assert result.level == level
    assert result.unit == expected_unit
    assert result.sentiment_label in label.split("|")
    # What happened and to whom, and the type, are in the explanation users read: the facts once, in the risk
    # line that leads it (依据事实：…), never again on a line of their own.
    assert result.explanation[0].startswith("风险：") and "依据事实：" in result.explanation[0]
    assert sum("依据事实" in line or line.startswith("事实：") for line in result.explanation) == 1
    assert any(line.startswith("类型：") for line in result.explanation)
    assert -1.0 <= result.sentiment <= 1.0
    # Every flag explains itself: the scheme's words, and where they stand in the text.
    for flag in result.flags:
        assert flag.words and flag.positions
        for field_name, offset in flag.positions:
            text = title if field_name == "title" else content
            assert any(text.startswith(w, offset) for w in flag.words)
        assert any("「" in line and w in line for line in result.explanation for w in flag.words)


def test_unit_names_stay_whole_in_tokens(analyser: Analyser) -> None:
    result = analyser.analyse(title="城关第一中学", content="城关县教育局回复", default_unit=None)
    assert "城关第一中学" in result.tokens
    assert "城关县教育局" in result.tokens


def test_negation_flips_sentiment(analyser: Analyser) -> None:
    assert analyser.analyse(title="", content="处理结果很满意").sentiment > 0
    assert analyser.analyse(title="", content="处理结果不满意").sentiment < 0


@pytest.mark.parametrize(
    "content",
    ["", "😀😀😀", "\x00\x01\ufffd\ufffe garbage", "a" * (MAX_CHARS + 5000), "Ｆｕｌｌ－ｗｉｄｔｈ 学校"],
)
def test_odd_texts_are_analysed_not_crashed(analyser: Analyser, content: str) -> None:
    result = analyser.analyse(title="", content=content, default_unit="county")
    assert result.unit == "county"
    if len(content) > MAX_CHARS:
        assert any("过长" in line for line in result.explanation)


def test_job_analyses_backlog_once_and_is_resumable(tmp_path: Path, analyser: Analyser) -> None:
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    posts = [
        NewMention(source="s", post_id=str(i), url=f"http://x/{i}", title=f"第{i}号投诉", content="学校乱收费资料费")
        for i in range(450)
    ]
    store.upsert_many(posts)
    assert store.backlog() == 450
    assert analyse_pending(store, analyser, batch=200, max_batches=1) == 200  # a "crash" after one batch
    assert store.backlog() == 250
    assert analyse_pending(store, analyser, batch=200) == 250
    assert store.backlog() == 0
    assert analyse_pending(store, analyser) == 0
    seqs = [m.analysis_seq for m in store.analysed_since(0, limit=1000)]
    assert len(seqs) == 450 and len(set(seqs)) == 450
    store.close()


def test_the_boards_votes_are_heat_in_the_job(tmp_path: Path, analyser: Analyser) -> None:
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    fees = "班主任强制收取资料费，每人二百元"
    store.upsert_many(
        [
            NewMention(source="s", post_id="voted", url="http://x/1", title="乱收费", content=fees, up_votes=260),
            NewMention(source="s", post_id="quiet", url="http://x/2", title="乱收费", content=fees),
        ]
    )
    analyse_pending(store, analyser)
    voted, quiet = store.get("s:voted"), store.get("s:quiet")
    assert voted is not None and voted.analysis is not None and quiet is not None and quiet.analysis is not None
    assert any("点赞 260、反对 0 +10" in line for line in voted.analysis.explanation)
    assert not any("点赞" in line for line in quiet.analysis.explanation)
    store.close()


def test_the_title_words_come_from_the_one_jieba_pass() -> None:
    """The grader's title words and the post's words from one segmentation are exactly what segmenting the title
    and the whole text apart gives: with a title, with the opening sentence as the title, with one long sentence
    cut at the title's length, and with spaces around."""
    from analysis.analyser import _words
    from analysis.grader import TITLE_CHARS, title_of
    from store.tokens import segment

    long_sentence = "城关一中食堂饭菜变质好几个学生吃完呕吐腹泻" * 4
    cases = [
        ("城关一中食堂饭菜变质", "好几个学生吃完呕吐腹泻。学校一直不回应！"),
        ("", "城关一中食堂饭菜变质！好几个学生吃完呕吐腹泻。学校一直不回应"),
        ("", "  城關一中食堂飯菜變質？好幾個學生\n吃完嘔吐"),
        ("", long_sentence),
        ("", long_sentence + "。学校一直不回应"),
        ("  ", "A市1号楼2-3层漏水!物业不管"),
    ]
    assert len(long_sentence) > TITLE_CHARS
    for title, content in cases:
        assert _words(title, content) == (segment(title_of(title, content)), segment(f"{title}\n{content}"))


def test_explanation_shows_the_deciding_facts_first_and_tone_last_apart(analyser: Analyser) -> None:
    """The 为何预警 panel reads these lines in order: the level with the facts and whole words that decided it
    comes first; the tone, which decides no level, is last, labelled so, with no sentiment words among the
    reasons (观察(+0.42) on a beaten child's post)."""
    result = analyser.analyse(title="", content="我孩子在学校被几个同学围殴，头部受伤住院，老师说再观察观察")
    lines = result.explanation
    assert lines[0].startswith("风险：") and "依据事实：" in lines[0]
    assert "暴力伤害（围殴" in lines[0] and "人员受伤（受伤" in lines[0]
    assert lines[0].index("依据事实") < lines[0].index("计分")
    assert lines[-1].startswith("情感（仅供参考，不参与定级）：")
    assert "(" not in lines[-1].split("）", 1)[-1]  # label and score only: no weighed words
    assert not any("观察" in line for line in lines)
