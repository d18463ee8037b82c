"""Hand-checked readings of the hall's words, as `to_pinyin` must give them.

Every service name and category of the sample catalogs, every counter and hall name of the
example configs, the display's and the kiosk's common sentences, and the polyphones pypinyin
gets wrong in context. Checked by hand, syllable by syllable, against the 现代汉语词典:
a new name in a catalog or config fails tests/speech/test_readings.py until its reading is
checked and added here.
"""

from __future__ import annotations

SERVICES: dict[str, str] = {
    "社会保障卡申领": "she4 hui4 bao3 zhang4 ka3 shen1 ling3",
    "养老保险参保登记": "yang3 lao3 bao3 xian3 can1 bao3 deng1 ji4",
    "医保关系转移接续": "yi1 bao3 guan1 xi4 zhuan3 yi2 jie1 xu4",
    "门诊慢特病待遇认定": "men2 zhen3 man4 te4 bing4 dai4 yu4 ren4 ding4",
    "不动产登记（二手房转移）": "bu4 dong4 chan3 deng1 ji4, er4 shou3 fang2 zhuan3 yi2",
    "不动产抵押登记": "bu4 dong4 chan3 di3 ya1 deng1 ji4",
    "住房公积金提取": "zhu4 fang2 gong1 ji1 jin1 ti2 qu3",
    "户口迁移": "hu4 kou3 qian1 yi2",
    "出入境证件申请": "chu1 ru4 jing4 zheng4 jian4 shen1 qing3",
    "营业执照设立登记": "ying2 ye4 zhi2 zhao4 she4 li4 deng1 ji4",
    "发票领用与税务登记": "fa1 piao4 ling3 yong4 yu3 shui4 wu4 deng1 ji4",
    "婚姻登记": "hun1 yin1 deng1 ji4",
    "综合咨询": "zong1 he2 zi1 xun2",
}

CATEGORIES: dict[str, str] = {
    "社会保障": "she4 hui4 bao3 zhang4",
    "医疗保障": "yi1 liao2 bao3 zhang4",
    "不动产登记": "bu4 dong4 chan3 deng1 ji4",
    "住房公积金": "zhu4 fang2 gong1 ji1 jin1",
    "公安户籍": "gong1 an1 hu4 ji2",
    "公安出入境": "gong1 an1 chu1 ru4 jing4",
    "市场监管": "shi4 chang3 jian1 guan3",
    "税务": "shui4 wu4",
    "民政": "min2 zheng4",
    "综合服务": "zong1 he2 fu2 wu4",
}

COUNTERS: dict[str, str] = {
    "婚姻登记处": "hun1 yin1 deng1 ji4 chu4",
    "综合窗口": "zong1 he2 chuang1 kou3",
    "社保医保窗口": "she4 bao3 yi1 bao3 chuang1 kou3",
    "便民服务窗口": "bian4 min2 fu2 wu4 chuang1 kou3",
}

HALLS: dict[str, str] = {
    "湛河区政务服务中心": "zhan4 he2 qu1 zheng4 wu4 fu2 wu4 zhong1 xin1",
    "新华区市民服务中心": "xin1 hua2 qu1 shi4 min2 fu2 wu4 zhong1 xin1",
    "曹镇乡便民服务中心": "cao2 zhen4 xiang1 bian4 min2 fu2 wu4 zhong1 xin1",
}

PHRASES: dict[str, str] = {
    "请留意叫号信息，过号请到服务台咨询": (
        "qing3 liu2 yi4 jiao4 hao4 xin4 xi1, guo4 hao4 qing3 dao4 fu2 wu4 tai2 zi1 xun2"
    ),
    "今日办理已结束": "jin1 ri4 ban4 li3 yi3 jie2 shu4",
    "请取走您的号票": "qing3 qu3 zou3 nin2 de5 hao4 piao4",
    "前面还有": "qian2 mian4 hai2 you3",  # 还 hái here: "still"
    "预计等待约": "yu4 ji4 deng3 dai4 yue1",
    "号票未能打印": "hao4 piao4 wei4 neng2 da3 yin4",
    "此号已作废": "ci3 hao4 yi3 zuo4 fei4",
    "请联系工作人员": "qing3 lian2 xi4 gong1 zuo4 ren2 yuan2",
    "正在出票，请稍候": "zheng4 zai4 chu1 piao4, qing3 shao1 hou4",
    "现在不在办理时间": "xian4 zai4 bu4 zai4 ban4 li3 shi2 jian1",
}

POLYPHONES: dict[str, str] = {
    # what pypinyin alone reads wrong (drivers/speech/vocabulary.py), in the words of a hall
    "还款": "huan2 kuan3",
    "公积金贷款还款": "gong1 ji1 jin1 dai4 kuan3 huan2 kuan3",
    "商业贷款提前还款": "shang1 ye4 dai4 kuan3 ti2 qian2 huan2 kuan3",
    "调档": "diao4 dang4",
    "人事档案调档": "ren2 shi4 dang4 an4 diao4 dang4",
    "调档函开具": "diao4 dang4 han2 kai1 ju4",
    "重呼": "chong2 hu1",
    "差旅费报销": "chai1 lv3 fei4 bao4 xiao1",
    # and the readings of the same characters that must stay as they are
    "调解": "tiao2 jie3",
    "还有": "hai2 you3",
    "重大疾病": "zhong4 da4 ji2 bing4",
    "银行": "yin2 hang2",
    "长辈": "zhang3 bei4",
    "长期护理": "chang2 qi1 hu4 li3",
}

GOLDEN: dict[str, str] = {
    **SERVICES,
    **CATEGORIES,
    **COUNTERS,
    **HALLS,
    **PHRASES,
    **POLYPHONES,
}
