"""The shipped post type model on short posts written here (not DEV texts): what the writer is doing, the
heading forms it reads, `calm`, and a file that is not its format."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from analysis import wordvec
from analysis.facts import find_facts
from analysis.grader import title_of
from analysis.modelfile import write_model
from analysis.post_type import (
    BODY_DENSITY,
    CALM_TYPES,
    FORMAT,
    FORMAT_1,
    NAMED_SCALE,
    POOLS,
    PostTypeModel,
    TypeGuess,
    features,
    heading_of,
    pooled,
    question_features,
    sentence_features,
    writer_absent,
)
from store.tokens import segment


def guess(text: str) -> TypeGuess:
    words = segment(f"\n{text}")
    return PostTypeModel.default().classify(
        heading_of("", text), segment(title_of("", text)), words, find_facts(words), text
    )


TYPED = [
    ("请问新生儿户口在哪里办理？我家孩子刚出生，请问上户口需要带哪些材料？", "咨询"),
    ("咨询公积金提取的条件。您好，我想咨询一下公积金提取需要满足什么条件？谢谢。", "咨询"),
    ("城南什么时候通地铁？请问城南片区的地铁线路什么时候能开通？", "咨询"),
    ("建议在城南增设一所幼儿园。城南片区人口多，幼儿园太少，建议增设一所公办幼儿园。", "建议"),
    ("关于增加夜班公交的建议。希望公交公司在晚高峰后增开夜班公交，方便市民出行。", "建议"),
    ("举报某化工厂夜间偷排废水。某化工厂老板夜间偷排废水到河里，涉嫌违法排污，请环保部门查处。", "举报"),
    ("实名举报村干部收受贿赂。本人实名举报村干部收受贿赂，违规为亲戚办理低保，请纪委彻查。", "举报"),
    ("小区物业乱收停车费。我们小区物业今年强行提高停车费，业主多次反映没有回应，请有关部门处理。", "投诉"),
    ("楼下烧烤店噪音扰民。我家楼下烧烤店每天营业到凌晨，噪音和油烟严重扰民，孩子无法休息。", "投诉"),
    ("感谢城管局及时修好路灯。我们小区门口的路灯坏了，城管局第二天就修好了，特此感谢。", "表扬"),
    ("身患重病家庭困难求助。本人患尿毒症多年，家庭贫困，无力负担医药费，恳请政府救助。", "求助"),
    ("残疾人生活困难请求帮助。我是一级残疾人，没有收入，靠低保生活，房子漏雨，请求政府帮帮我。", "求助"),
]


@pytest.mark.parametrize(("text", "kind"), TYPED, ids=[t[:10] for t, _ in TYPED])
def test_types_what_the_writer_is_doing(text: str, kind: str) -> None:
    result = guess(text)
    assert result.post_type == kind, result
    assert 0.0 < result.probability <= 1.0


def test_calm_is_the_chance_of_asking_suggesting_or_thanking() -> None:
    question = guess("请问护照在哪里办理？请问在哪里可以办理护照，需要带什么材料？")
    complaint = guess("小区物业乱收停车费。我们小区物业今年强行提高停车费，业主多次反映没有回应，请有关部门处理。")
    assert question.calm > 0.5 > complaint.calm
    assert question.post_type in CALM_TYPES and complaint.post_type not in CALM_TYPES


def test_harm_done_is_never_a_question_or_suggestion() -> None:
    result = guess("希望学校管管校园欺凌。我孩子在学校被几个同学殴打受伤，现在住院，希望学校管一管。")
    assert result.post_type not in CALM_TYPES


def test_thanks_that_reports_is_a_report() -> None:
    assert guess("感谢领导关注，举报某工地违规施工。某工地违规夜间施工，请查处。").post_type != "表扬"


# A heading that names what the writer does names the type, however the story reads (here as a complaint of
# unpaid bills, or of a grievance).
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("举报建设局拖欠工程款和工资。建设局拖欠我们工程款两年，工人工资发不出来，多次讨要无果。", "举报"),
        ("农民工年底讨薪无处求助。承包商拖欠我们工资，年关将至，找不到人。", "求助"),
    ],
)
def test_a_heading_naming_the_type_names_it(text: str, kind: str) -> None:
    assert guess(text).post_type == kind


@pytest.mark.parametrize(
    ("title", "content", "heading"),
    [
        ("", "城南什么时候通地铁？请问何时开通。详情如下", "城南什么时候通地铁？请问何时开通"),
        ("", "路灯坏了。请修一修", "路灯坏了"),
        ("关于路灯的建议", "正文。", "关于路灯的建议"),
    ],
)
def test_heading_keeps_the_question_mark(title: str, content: str, heading: str) -> None:
    assert heading_of(title, content) == heading


def test_features_read_heading_forms_and_whose_wrong_it_is() -> None:
    found = features("举报某厂偷排废水吗？", ["举报", "某厂"], ["某", "老板", "偷排", "违法", "我", "被"], [])
    assert {"hreport", "hquestion_mark", "hquestion_particle", "hillegal", "creport"} <= found.keys()
    assert {"bthird", "billegal", "bme", "bvictim"} <= found.keys()
    assert found["bthird"] == pytest.approx(2 / 5 * NAMED_SCALE)  # 某, 老板: a share of BODY_CAP, at NAMED_SCALE


def test_body_groups_also_count_as_a_share_of_the_words() -> None:
    short = features("", [], ["某", "老板", "偷排", "违法", "我", "被"], [])
    assert short["dthird"] == pytest.approx(NAMED_SCALE)  # 2 of 6 words: past a tenth, saturated
    long = features("", [], ["某", *["路灯"] * 99], [])
    assert long["dthird"] == pytest.approx(1 / 100 * BODY_DENSITY * NAMED_SCALE)
    assert long["bthird"] == short["bthird"] / 2  # the count alone cannot tell the two apart


def test_refuses_another_format(tmp_path: Path) -> None:
    path = tmp_path / "x.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump({"format": "something-else"}, f)
    with pytest.raises(ValueError, match="not a yuqing-post-type"):
        PostTypeModel.load(path)


CALM_POSTS = [
    # A question and a suggestion in a complaint board's register, each naming a watched topic's words.
    ("", "请问学校收费标准在哪里查询？我想咨询一下今年学校的收费标准在哪里可以查到，谢谢。"),
    ("", "建议学校食堂增加菜品。希望学校食堂多增加几个菜品，让学生吃得更好。"),
]


@pytest.mark.parametrize(("title", "content"), CALM_POSTS)
def test_the_calm_rule_keeps_a_question_or_suggestion_unraised(title: str, content: str) -> None:
    from analysis.analyser import Analyser
    from config import load_config

    config = load_config(Path(__file__).resolve().parents[2] / "config" / "example")
    result = Analyser(config).analyse(title=title, content=content)
    assert result.post_type in CALM_TYPES
    assert result.level == 0, result.explanation
    assert result.sentiment_label == "neutral", result.explanation


def test_a_parent_writing_of_their_beaten_child_complains() -> None:
    """The demo's 30-second case (yuqing/demo/board_seed.yaml), as the analyser reads it: a parent asking for the
    school to act on their own child's beating complains (投诉); they do not report a third party (举报)."""
    title = "城关第一中学初二学生遭多名同学殴打，头部受伤住院"
    content = (
        "我是城关第一中学初二学生的家长。昨天晚自习后，我的孩子在宿舍被同班五六名学生围住殴打，还被逼着扇自己"
        "耳光，头部受伤，现在在县医院住院观察。\n孩子说这已经不是第一次被欺凌了，之前被勒索过零花钱，找过班主任，"
        "学校一直推诿，说是同学之间闹着玩。\n希望县教育局和学校尽快给个说法，严肃处理打人的学生，保护好孩子的安全。"
    )
    words = segment(f"{title}\n{content}")
    result = PostTypeModel.default().classify(
        heading_of(title, content), segment(title), words, find_facts(words), f"{title}\n{content}"
    )
    assert result.post_type in {"投诉", "求助"}, result


def test_whose_harm_it_is_is_read_from_the_text() -> None:
    assert {"kown_kin", "kparent"} <= question_features("标题", "我是初二学生的家长，我的孩子被打了").keys()
    assert not {"kown_kin", "kparent"} & question_features("标题", "某工厂夜间偷排废水，请查处").keys()


@pytest.mark.parametrize(
    ("text", "wronged", "absent"),
    [
        ("工资被拖欠。我在工地干了半年，老板拒不支付工资。", True, False),  # a wrong the writer suffered
        ("欠薪。老板至今欠我三万元", True, False),  # 欠我 names both
        ("某厂偷排。该厂夜间偷排废水。周边河水发黑，请查处。", False, True),  # nobody's own wrong: others' deeds
        ("我被骗了。", True, True),  # the heading alone names the writer: the body does not
        ("路灯坏了。我每天走这条路。路灯不亮。", False, False),  # the writer and a wrong, not in one sentence
        ("", False, True),
    ],
)
def test_whose_wrong_it_is_is_read_from_the_sentences(text: str, wronged: bool, absent: bool) -> None:
    """投诉 is a wrong done to the writer, 举报 others' wrongdoing (GUIDE.md): one sentence naming the writer and a
    wrong suffered, and a body that never names the writer."""
    found = question_features("标题", text)
    assert ("kme_victim" in found) is wronged
    assert ("kno_me" in found) is absent
    assert writer_absent(text) is absent


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("请问护照在哪里办理？需要带什么材料吗。谢谢！", {"sask", "slast_ask", "scourtesy"}, {"sthanks", "srequest"}),
        ("路灯坏了。请尽快修好路灯。", {"srequest", "slast_request"}, {"sask", "slast_ask"}),
        ("关于公交的建议。建议增开夜班公交，方便市民。", {"ssuggest", "srequest"}, {"sask"}),
        ("感谢城管局。路灯第二天就修好了，特此感谢城管局的同志。", {"sthanks"}, {"scourtesy"}),
        ("实名举报村干部。本人实名举报村干部收受贿赂。", {"sreport", "sfirst_me"}, {"shelp"}),
        ("生活困难。我家走投无路，不知道怎么办。", {"shelp", "sfirst_me"}, {"sreport"}),
    ],
)
def test_sentence_features_say_what_each_sentence_does(text: str, present: set[str], absent: set[str]) -> None:
    found = sentence_features(text)
    assert present <= found.keys(), found
    assert not absent & found.keys(), found
    assert all(0.0 < v <= NAMED_SCALE for v in found.values())


def test_pooled_splits_asking_sentences_from_the_others() -> None:
    vectors = wordvec.shipped()
    text = "路灯坏了。请问ＡＢ何时修？"
    words = segment(f"\n{text}")
    found = pooled([], words, text, vectors).reshape(len(POOLS), vectors.dim)
    kinds = [kind for kind, _ in POOLS]

    def unit(part: list[str]) -> np.ndarray:
        total = vectors.means([part])[0]
        return total / np.linalg.norm(total)

    asked = [w for w in words if w in {"请问", "ab", "何时", "修"}]  # found in the folded text (ＡＢ → ab)
    assert asked and len(asked) < len(words)
    assert found[kinds.index("a")] == pytest.approx(unit(asked), abs=1e-5)
    assert found[kinds.index("o")] == pytest.approx(unit([w for w in words if w not in asked]), abs=1e-5)


def test_pooled_vectors_are_unit_means_at_their_scale() -> None:
    vectors = wordvec.shipped()
    text = "路灯坏了。请问何时修？"
    words = segment(f"\n{text}")
    found = pooled(["路灯", "坏"], words, text, vectors).reshape(len(POOLS), vectors.dim)
    for row, (_, scale) in zip(found, POOLS, strict=True):
        assert float(np.linalg.norm(row)) == pytest.approx(scale, rel=1e-3)
    nothing = pooled([], [], "", vectors)
    assert nothing.shape == (len(POOLS) * vectors.dim,) and not nothing.any()  # no known word: zeros, not NaN


def test_shipped_model_is_format_2_and_format_1_still_loads(tmp_path: Path) -> None:
    shipped = PostTypeModel.default()
    assert shipped.format == FORMAT and shipped.dense is not None
    old = PostTypeModel(
        ["投诉", "咨询"], {"t请问": [0.0, 2.0], "w扰民": [1.5, 0.0]}, [0.1, 0.0], {"c": 4.0}
    )  # a format 1 model: named and word features only
    path = tmp_path / "old.json.gz"
    write_model(old.to_json(), path)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        assert json.load(f)["format"] == FORMAT_1
    loaded = PostTypeModel.load(path)
    assert loaded.dense is None and loaded.to_json() == old.to_json()
    text = "请问护照在哪里办理？"
    words = segment(f"\n{text}")
    assert loaded.classify(heading_of("", text), segment(title_of("", text)), words, [], text).post_type == "咨询"
    text = "楼下烧烤扰民。每晚扰民。"
    words = segment(f"\n{text}")
    assert loaded.classify(heading_of("", text), segment(title_of("", text)), words, [], text).post_type == "投诉"


def test_a_format_2_model_must_match_its_pools() -> None:
    with pytest.raises(ValueError, match="pooled weights"):
        PostTypeModel(["投诉", "咨询"], {}, [0.0, 0.0], dense=[[0.0, 0.0]] * 3, pools=POOLS)
    with pytest.raises(ValueError, match="pools must be among"):
        PostTypeModel(["投诉", "咨询"], {}, [0.0, 0.0], dense=[[0.0, 0.0]] * 4, pools=[("x", 1.0)])


@pytest.mark.parametrize(("text", "kind"), TYPED[:6], ids=[t[:10] for t, _ in TYPED[:6]])
def test_post_scores_are_the_scores_of_the_features(text: str, kind: str) -> None:
    model = PostTypeModel.default()
    words = segment(f"\n{text}")
    args = (heading_of("", text), segment(title_of("", text)), words, find_facts(words), text)
    assert model.post_scores(*args) == pytest.approx(model.scores(*model.features(*args)), abs=1e-9)
