"""The registry of facts (risk contributions the grader weighs and the explanation shows): one entry each, in the
order the explanation lists them. Adding a fact is one entry here with its examples and counter-examples
(tests/analysis/test_fact_registry.py checks every entry on them); a missing piece fails at load
(analysis/facts/schema.py). Written by the Yuqing team from the labelling guide's questions (harmed, many,
minors …); which lists were later corrected by reading DEV's misjudged posts is said in GRADER_CARD.md.
"""

from __future__ import annotations

from analysis.facts.schema import Fact, fact

# Word groups several entries share.
_HARM_DONE = (
    "受伤 重伤 轻伤 骨折 流血 打伤 砸伤 撞伤 咬伤 烫伤 烧伤 摔伤 昏迷 抢救 被打 殴打 打人 围殴 暴打 毒打 欺凌 霸凌 "
    "砍伤 施暴 猥亵 性侵 体罚 中毒 食物中毒 呕吐 腹泻 上吐下泻 死亡 身亡 溺亡 猝死 自杀 跳楼 送医 急诊"
)
_MINORS = (
    "学生 孩子 小孩 幼儿 儿童 小学生 中学生 初中生 高中生 未成年 未成年人 幼儿园 婴儿 婴幼儿 小朋友 学童 孩子们 "
    "少年 新生"
)
_OFFICIALS = (
    "书记 支书 村支书 村主任 村长 镇长 乡长 县长 区长 局长 副局长 所长 站长 主任 处长 科长 校长 院长 干部 村干部 "
    "领导 官员 公职人员 执法人员 城管 民警 警察 辅警 村委 村委会 居委会 镇政府 街道办 派出所 负责人 公务员"
)
_WRONG_ACTS = (
    "收受 索要 索取 勾结 强拆 骗取 干预 套取 冒领 虚报 侵占 霸占 强占 克扣 私分 挪用 贪污 受贿 索贿 打压 报复 "
    "威胁 恐吓 殴打 打人 包庇 纵容 庇护 徇私 滥用职权 吃空饷 优亲厚友 以权谋私 敲诈 勒索 截留 收钱 收礼"
)
_GATHER = "拉横幅 挂白旗 白旗 静坐 聚集 集体上访 围堵 堵路 堵门 游行 示威 罢工 围攻 聚众 上访"

FACTS: tuple[Fact, ...] = (
    fact(
        "death",
        "人员死亡",
        "死亡 身亡 遇难 丧生 致死 溺亡 猝死 自杀 跳楼 轻生 尸体 命案 丧命 不幸离世 死者",
        examples=("工地昨天有工人坠落身亡",),
        counter_examples=("一旦倒塌将造成人员死亡",),
        harm=True,
        corroborates=True,
    ),
    fact(
        "injury",
        "人员受伤",
        "受伤 重伤 轻伤 骨折 流血 伤势 致残 烧伤 烫伤 摔伤 打伤 砸伤 撞伤 咬伤 割伤 "
        # 溺水: rescued or not, the post says; 溺亡 is a death
        "昏迷 抢救 缝针 脑震荡 伤者 被撞 被咬 溺水 撞倒 推倒 摔倒在地 呼吸困难",
        examples=("我孩子昨天被几个同学围殴，头部受伤住院", "被摩托车撞倒在地，送往医院急诊"),
        counter_examples=("墙倒了，幸好没有人受伤", "以免学生受伤"),
        harm=True,
        corroborates=True,
    ),
    fact(
        "hospital",
        "送医急救",
        "送医 送往医院 送到医院 急诊 ICU 重症监护 救护车",
        examples=("被摩托车撞倒在地，送往医院急诊",),
        counter_examples=("我母亲住院治疗，想问医保怎么报销",),
        harm=True,
        corroborates=True,
    ),
    # A stay in hospital or a visit to a doctor is as often an insurance question or an illness of one's own.
    fact(
        "treated",
        "住院就医",
        "住院 入院 就医 住进 出院",
        examples=("我母亲住院治疗，想问医保怎么报销",),
        counter_examples=("医院门口停车太乱",),
    ),
    fact(
        "illness",
        "中毒或致病",
        "中毒 食物中毒 呕吐 腹泻 上吐下泻 拉肚子 发烧 过敏 染病 感染 头晕 恶心 不适 肚子疼 病倒 患癌 癌症 白血病",
        examples=("好几个学生吃完呕吐腹泻，怀疑食物中毒",),
        counter_examples=("担心孩子吃了会中毒",),
        harm=True,
        corroborates=True,
    ),
    fact(
        "violence",
        "暴力伤害",
        "被打 殴打 打人 围殴 暴打 毒打 欺凌 霸凌 持刀 砍伤 砍人 行凶 施暴 家暴 猥亵 性侵 强奸 打骂 体罚 追打 群殴 打伤",
        examples=("我孩子昨天被几个同学围殴，头部受伤住院",),
        counter_examples=("学校举办防止欺凌宣传周活动",),
        harm=True,
        corroborates=True,
    ),
    fact(
        "detention",
        "人身自由受限",
        "拘留 关押 扣押 非法拘禁 拘禁 限制人身自由 抓走 强行带走 软禁 行政拘留 刑事拘留",
        examples=("我父亲被他们非法拘禁了三天",),
        counter_examples=("没有拘留任何人",),
        harm=True,
        corroborates=True,
    ),
    fact(
        "many",
        "涉及人数多",
        "多名 多人 十几个 十几名 十几人 几十 几十个 几十名 几十人 数十 数十名 上百 上百名 "
        "上百人 数百 上千 几百 全班 全村 全校 "
        "全体 全小区 大批 众多 成百上千 业主们 村民们 居民们 家长们 工友们 工人们 员工们 学生们",
        examples=("村民们在镇政府门口拉横幅", "二十多名工人被拖欠工资半年"),
        counter_examples=("三个人在路边聊天，花了二十元",),
        counts_at_least=10,
    ),
    # A head count in the hundreds: a matter of a whole estate or village, not a neighbour's.
    fact(
        "crowd",
        "涉及上百人",
        "上百 上百名 上百人 数百 上千 几百 成百上千 千余 百余 数千 近千",
        examples=("小区272户业主至今无法办证", "上百名村民的补偿款没有发放"),
        counter_examples=("二十多名工人被拖欠工资半年", "这条路修了300米"),
        counts_at_least=50,
        weighed=False,
    ),
    fact(
        "minors",
        "涉及未成年人",
        _MINORS,
        examples=("好几个学生吃完呕吐腹泻",),
        counter_examples=("请问护照在哪里办理",),
    ),
    # Structural: a child is the one harmed (same sentence), not a child mentioned beside someone else's harm.
    fact(
        "minor_harmed",
        "未成年人受害",
        _HARM_DONE,
        near=_MINORS,
        examples=("我孩子昨天被几个同学围殴，头部受伤住院", "好几个学生吃完呕吐腹泻"),
        counter_examples=("孩子们在新操场上玩得很开心。隔壁工地有工人受伤", "以免学生受伤"),
        harm=True,
        corroborates=True,
        weighed=False,
    ),
    fact(
        "gathering",
        "聚集或上访",
        "拉横幅 横幅 聚集 堵路 围堵 上访 静坐 集体上访 游行 示威 罢工 闹事 群体性 冲突 堵门 堵住 讨说法 聚众",
        examples=("村民们在镇政府门口拉横幅",),
        counter_examples=("小区门口停车太乱",),
        corroborates=True,
    ),
    # Under way, not threatened: 正坐在/已聚集/拉横幅 count, 扬言去上访 does not (that is gathering_threat).
    fact(
        "gathering_now",
        "正在聚集",
        _GATHER,
        examples=("几十名工人正在公司门口拉横幅", "村民挂白旗静坐在村委会门口"),
        counter_examples=("如果再不解决，大家可能会集体上访", "工人扬言要去上访"),
        feared_blocks=True,
        corroborates=True,
        weighed=False,
    ),
    fact(
        "gathering_threat",
        "扬言聚集",
        "扬言 声称 威胁 准备 打算 商量",
        near="上访 集体上访 聚集 拉横幅 堵路 游行 示威 闹事 讨说法 围堵 罢工",
        examples=("工人扬言要去上访", "业主们准备集体上访"),
        counter_examples=("几十名工人正在公司门口拉横幅",),
        weighed=False,
    ),
    fact(
        "misconduct",
        "公职人员违纪",
        # 敲诈/勒索/索要/克扣 are as often a bully's, a gang's or an employer's: they are officials' misconduct only
        # beside an official or an office (公职人员具体违法行为 below).
        "索贿 受贿 行贿 收礼 购物卡 贪污 挪用 侵吞 吃拿卡要 权钱交易 以权谋私 公款 保护伞 黑恶 贪腐 腐败 "
        "中饱私囊 私分 截留 红包 回扣 好处费 徇私 包庇 滥用职权 骗取 职务之便 利用职务 收买 权色交易",
        examples=("办事员收礼还要购物卡",),
        counter_examples=("请问公积金怎么提取", "孩子之前被高年级同学勒索过零花钱", "老板克扣工资还敲诈工人"),
        corroborates=True,
    ),
    # Structural: a named office or official and a concrete wrongful act in one sentence.
    fact(
        "official_wrong",
        "公职人员具体违法行为",
        _WRONG_ACTS,
        near=_OFFICIALS,
        examples=("村支书收受开发商好处费", "镇长干预工程招投标", "村支书多次敲诈勒索村民"),
        counter_examples=("开发商收受定金后跑路", "书记来村里调研", "孩子之前被高年级同学勒索过零花钱"),
        corroborates=True,
        weighed=False,
    ),
    fact(
        "urgency",
        "事态紧急",
        "正在 随时 马上 立即 紧急 十万火急 刻不容缓 危在旦夕 迫在眉睫 即将 万分火急 生命危险",
        examples=("围墙随时可能倒塌",),
        counter_examples=("这条路去年修过",),
    ),
    fact(
        "hazard",
        "安全隐患",
        "隐患 安全隐患 倒塌 坍塌 塌方 火灾 起火 爆炸 危房 漏电 燃气泄漏 煤气 塌陷 垮塌 滑坡 险情",
        examples=("围墙随时可能倒塌",),
        counter_examples=("请问护照在哪里办理",),
    ),
    fact(
        "wages",
        "拖欠工资",
        "欠薪 拖欠 拖欠工资 工资拖欠 讨薪 血汗钱 工钱 不发工资 欠发 扣发 拖欠农民工",
        examples=("二十多名工人被拖欠工资半年",),
        counter_examples=("工资什么时候调整",),
    ),
)
