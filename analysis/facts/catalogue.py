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
# The endings of an office's name: 规划局, 文物所, 市政府, 执法队, 教育厅, 计生委, 街道办.
_OFFICES = "局 政府 部门 委 办 所 站 厅 队"
_GATHER = "拉横幅 挂白旗 白旗 静坐 聚集 集体上访 围堵 堵路 堵门 游行 示威 罢工 围攻 聚众 上访"

# Harm that is supposed, not told: 如果…死亡, 轻则中毒重则死亡, 非要等到老百姓受伤. The words carry no punctuation,
# so "the same clause" is a distance: 如果 opens a clause that runs long (如果孩子在路上出了事故死亡 is 7 words).
_SUPPOSED = (("如果 假如 倘若 万一 要是 若是 假设 等到", 8), ("轻则 重则 则", 2))
# Living things other than people: 树木死亡, 鱼大量死亡, 苗木枯萎死亡 are no one's death.
_NOT_PEOPLE = (
    "树木 树 树苗 苗木 树种 花木 花草 草坪 植物 农作物 庄稼 秧苗 作物 禾苗 绿化 鱼 鱼类 鱼苗 鱼虾 鸡 鸭 鹅 猪 "
    "生猪 牛 羊 牲畜 家禽 蜜蜂 蜂 动物 野生动物 鸟 候鸟"
)
# What is impounded when no one is: 扣押车辆, 车辆被扣押, 违规扣押证书, 资产查封、冻结、扣押.
_THINGS = (
    "车辆 车 车子 汽车 货车 摩托车 电动车 三轮车 船 证书 证件 证照 身份证 驾驶证 行驶证 资格证 毕业证 户口本 "
    "资产 财产 财物 物品 货物 工具 设备 资料 押金 工资 款 钱款 资金 账户 房产 货"
)

FACTS: tuple[Fact, ...] = (
    fact(
        "death",
        "人员死亡",
        "死亡 身亡 遇难 丧生 致死 溺亡 猝死 自杀 跳楼 轻生 尸体 命案 丧命 不幸离世 死者",
        examples=("工地昨天有工人坠落身亡", "小孩靠着扶手休息就坠楼死亡", "病人经抢救无效死亡"),
        counter_examples=(
            "一旦倒塌将造成人员死亡",
            "施工负责人对我发出的死亡威胁",
            "致使树木因见不到阳光而死亡",
            "苗木大面积死亡",
            "鱼大量死亡",
            "轻则慢性中毒，重则中毒死亡",
            "如果孩子在路上出了事故死亡怎么办",
            "请问过山车、跳楼机是否属于特种设备",
            "他们要去跳楼",
            "虽然说死者为大，但声音太大了",
            "不想见到涔河成为死亡之水",
        ),
        harm=True,
        corroborates=True,
        # 要(去)跳楼 is threatened, not done (扬言/准备 are the finder's own hypotheticals).
        not_after=(*_SUPPOSED, (_NOT_PEOPLE, 8), ("要 要去 想 想要", 2)),
        not_before=(("威胁 机 之水 为 率", 1),),
    ),
    fact(
        "injury",
        "人员受伤",
        "受伤 重伤 轻伤 骨折 流血 伤势 致残 烧伤 烫伤 摔伤 打伤 砸伤 撞伤 咬伤 割伤 "
        # 溺水: rescued or not, the post says; 溺亡 is a death
        "昏迷 抢救 缝针 脑震荡 伤者 被撞 被咬 溺水 撞倒 推倒 摔倒在地 呼吸困难 负伤 砸伤 砸断 捅伤 刺伤 晕倒 昏倒 晕厥",
        examples=(
            "我孩子昨天被几个同学围殴，头部受伤住院",
            "被摩托车撞倒在地，送往医院急诊",
            "还被项目部的人推倒在地",
            "小孩出现呼吸衰竭，医生马上抢救",
            "队员中有几个因公负伤的他们也不管",
            "气味闻久了会恶心，有老人晕倒",
        ),
        counter_examples=(
            "墙倒了，幸好没有人受伤",
            "以免学生受伤",
            "非要等到老百姓受伤后还不作为吗",
            "为抢救园林区的树木花草，我们已向有关单位反映",
            "经过十几年的非物质文化遗产的抢救",
            "大小树木连根推倒",
            "儿坟前诉相思之苦、心在流血",
        ),
        harm=True,
        corroborates=True,
        not_after=(*_SUPPOSED, ("文化遗产 遗产 文物 树木 树 大小 心 心在", 2)),
        not_before=(("园林 树木 花草 文物 遗产 文化遗产 古建筑 性", 5),),
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
        examples=("好几个学生吃完呕吐腹泻，怀疑食物中毒", "当地民众癌症频发", "女儿开始说肚子疼，并发生多次呕吐"),
        counter_examples=(
            "担心孩子吃了会中毒",
            "油漆味让人产生呕吐感",
            "轻则慢性中毒，重则中毒死亡",
            "小区花园天天是灰尘恶心",
            "背靠为人民服务五个大字，看着都恶心",
            "雨季恶心的猪大便水会顺流而下",
            "人闻到后感到恶心",
            "油烟使细胞发生突变，导致癌症的发生",
            "高压线周围的人群患白血病、癌症的几率是其他地区的数倍",
            "让癌症病人看到光明吧",
        ),
        harm=True,
        corroborates=True,
        # 恶心 on the board is a smell's or a sight's (令人恶心, 看着都恶心), and a cancer named is mostly a risk
        # cited (致癌, 癌症的几率, 癌症病人) rather than a neighbour fallen ill.
        not_after=(*_SUPPOSED, ("令人 让人 使人 看着 看 都 闻到 感到 感觉 觉得 灰尘 很 真 太 导致 引起 诱发 抗", 2)),
        not_before=(("感 的 几率 概率 风险 病人 患者 病患者 高发区 药品 药物", 2),),
    ),
    fact(
        "violence",
        "暴力伤害",
        "被打 殴打 打人 围殴 暴打 毒打 欺凌 霸凌 持刀 砍伤 砍人 行凶 施暴 家暴 猥亵 性侵 强奸 打骂 体罚 追打 群殴 打伤 "
        "拳脚相加 大打出手 斗殴 捅伤 刺伤 滋事 寻衅滋事",
        examples=(
            "我孩子昨天被几个同学围殴，头部受伤住院",
            "他昨天在校门口被打了",
            "邻居持刀捅伤人后被放回",
            "常有来历不明的人强行进入幼儿园滋事",
        ),
        counter_examples=(
            "学校举办防止欺凌宣传周活动",
            "楼板横梁被打穿",
            "过了一个月后，又告知我被打了下来",
            "公安机关严厉打击寻衅滋事行为",
        ),
        harm=True,
        corroborates=True,
        # 被打穿 (a floor), 被打了下来 (a form sent back): 打 of things; 打击/整治…滋事 is a campaign, not an attack.
        not_after=(*_SUPPOSED, ("打击 严厉打击 严打 整治 查处", 2)),
        not_before=(("穿 碎 烂 通 掉 下来 回来 回 翻", 2),),
    ),
    fact(
        "detention",
        "人身自由受限",
        "拘留 关押 扣押 非法拘禁 拘禁 限制人身自由 抓走 强行带走 软禁 行政拘留 刑事拘留",
        examples=("我父亲被他们非法拘禁了三天", "我父亲被他们扣押了三天", "结果被以扰乱政府正常工作秩序，拘留五天"),
        counter_examples=(
            "没有拘留任何人",
            "要求立刻返还违法扣押车辆",
            "车辆被扣押",
            "违规扣押证书行为",
            "请对涉案资产查封、冻结、扣押",
            "为什么不依法拘留这个恶人",
        ),
        harm=True,
        corroborates=True,
        # 扣押 is of people as often as of cars and certificates; 不依法拘留 asks for a detention.
        not_after=(*_SUPPOSED, (_THINGS, 3), ("不 不予 未予 不肯 要求 请求 建议 应当 应该", 2)),
        not_before=((_THINGS, 2),),
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
        counter_examples=(
            "孩子们在新操场上玩得很开心。隔壁工地有工人受伤",
            "以免学生受伤",
            "如果孩子在路上出了事故死亡怎么办",
            "孩子说闻到油漆味让人产生呕吐感",
        ),
        harm=True,
        corroborates=True,
        weighed=False,
        not_after=_SUPPOSED,
        not_before=(("威胁 机 穿 碎 烂 下来 感", 1),),
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
        "中饱私囊 私分 截留 红包 回扣 好处费 徇私 包庇 滥用职权 骗取 职务之便 利用职务 收买 权色交易 "
        # Dereliction and breaches of discipline named as such (渎职, 违纪), and false accounts (虚账).
        "渎职 玩忽职守 违纪 违法乱纪 利益输送 虚账 假账 做假账",
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
    # Structural: the guide's "concrete, named misconduct by officials": an act of graft (a bribe, embezzlement,
    # abuse of office) with an official or an office in the same sentence, not graft named in general (腐败, 保护伞).
    fact(
        "official_graft",
        "公职人员以权谋私",
        "索贿 受贿 收受 行贿 收礼 贪污 挪用 侵吞 吃拿卡要 权钱交易 以权谋私 中饱私囊 私分 截留 回扣 好处费 "
        "滥用职权 职务之便 利用职务 违规进人 乱进人 优亲厚友 徇私舞弊 吃空饷 任人唯亲 "
        # Abuse of an office's own power (the guide's "concrete misconduct"), with the office named beside it.
        "违规审批 违法审批 非法审批 收买 做假案 "
        # Dereliction, breaches of discipline and false accounts, named as such beside the office.
        "渎职 玩忽职守 违纪 违法乱纪 利益输送 虚账 假账 做假账",
        near=_OFFICIALS + " 副局长 副镇长 副乡长 副县长 副主任 局领导 法院 检察院 办事处 街道办事处",
        # An office is named by its ending (规划局, 执行局, 文物所, 市政府): too many to list.
        near_endings=_OFFICES,
        examples=(
            "住建局副局长利用职务之便破坏投标程序",
            "村支书挪用扶贫款二十万元",
            "文化局多次违规审批学校旁的网吧",
            "开发商收买规划局人员擅自更改规划",
            "街道办事处、社区违规违纪，插手小区事务",
            "县政府及相关部门明显渎职",
        ),
        counter_examples=(
            "开发商收受定金后跑路",
            "请问如何举报公职人员受贿",
            "反腐败要常抓不懈",
            "个别住户被该屠宰场收买",
            "请问这个项目的审批流程是怎样的",
            "请问如何举报违纪行为",
        ),
        corroborates=True,
        weighed=False,
        not_after=(("如何 怎么 怎样 哪里 是否 防止 严禁 打击 杜绝", 4),),
    ),
    # Collective action under way by those with the grievance (the guide's banners, sit-ins, roads blocked):
    # 聚集赌博 or 上访 once, years ago, is not one.
    fact(
        "protest",
        "集体维权行动",
        "拉横幅 挂横幅 打横幅 横幅 挂白旗 白旗 静坐 堵路 堵门 集体上访 游行 示威 罢工 围堵 "
        # The guide's own name for it (a mass incident): jieba gives 群体性/事件 or 社会群体/事件, spelled as one.
        "群体事件 群体性事件",
        near="业主 业主们 村民 村民们 居民 居民们 工人 工人们 农民工 民工 家长 家长们 群众 员工 员工们 职工 "
        "百姓 老百姓 大家 我们 一大批 大批 多人 多名 集体 纷纷",
        examples=("村民们在镇政府门口拉横幅", "业主纷纷挂出抗议白旗", "昨天终于酿成群体性事件，业主们堵在售楼部"),
        counter_examples=(
            "工人扬言要去上访",
            "出租车围堵乘客",
            "公民有依法维权的权利",
            "如何防止群体性事件发生",
            "群体事件背后都有腐败",
        ),
        feared_blocks=True,
        corroborates=True,
        weighed=False,
        not_after=(("如何 怎么 怎样 是否 依法 权利 有权", 3),),
        not_before=(("的 权利 途径 渠道 意识", 1),),
    ),
    # Structural: the water people drink is polluted now (the guide's "pollution that is making people ill" is
    # 重大; drinking it is how it does): 井水被污染, 深井水不能饮用 — not a plan to protect it (防止…污染).
    fact(
        "water_polluted",
        "饮用水受污染",
        "井水 饮用水 饮水 自来水 水井 深井水 地下水 饮用水源",
        near="污染 污染物 不能喝 不能饮用 无法饮用 不敢喝 不能吃 发臭 发黑 变色 超标",
        examples=("养猪场的污水渗进来，我们的井水已经被严重污染", "污水直排农田，深井水不能饮用"),
        counter_examples=(
            "请问自来水什么时候恢复供应",
            "要防止饮用水被污染",
            "饮用水源保护区如何划定",
            "井水是否污染要看检测结果",
        ),
        corroborates=True,
        weighed=False,
        not_after=(("防止 避免 预防 如果 万一 担心 害怕 怕 可能 会 将 是否 有没有 会不会", 4),),
        not_before=(("是否 有没有 会不会 保护区 保护", 3),),
    ),
    # Structural: a building people live or study in is failing now (cracked, sinking, collapsing): the first half of
    # the guide's "a structure about to collapse with people inside" (the rule in analysis/risk.py asks for the
    # people too). Feared or supposed (可能倒塌, 一旦坍塌) it is a hazard, not this; nor a campaign against it.
    fact(
        "building_failing",
        "房屋结构出现险情",
        "倒塌 坍塌 垮塌 塌方 塌陷 岌岌可危 摇摇欲坠 开裂 裂缝 沉降 下沉",
        near="房屋 房子 楼房 住房 民房 教室 教学楼 宿舍 宿舍楼 校舍 墙体 大楼 住宅 住宅楼 居民楼 楼体 整栋 整幢",
        examples=("施工导致房屋沉降墙体开裂", "教学楼整体结构岌岌可危"),
        counter_examples=(
            "这栋房屋一旦倒塌后果不堪设想",
            "重点整治渗漏、裂缝等住宅工程质量问题",
            "要排查校舍裂缝隐患",
            "路边的护栏随时可能倒塌",
        ),
        feared_blocks=True,
        weighed=False,
        not_after=(("整治 治理 防止 预防 排查 检查 避免", 4),),
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
