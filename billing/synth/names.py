"""Word lists for synthetic owners, shops and banks."""

from __future__ import annotations

# The most common Chinese surnames, roughly by frequency.
SURNAMES: tuple[str, ...] = (
    *"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤",
    "欧阳",
    "司马",
    "上官",
    "诸葛",
)

# Characters common in given names; a given name is one or two of them.
GIVEN: tuple[str, ...] = tuple(
    dict.fromkeys(
        "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉鑫宇浩然子轩欣怡梓涵雨萱"
        "俊杰晨曦思远博文嘉怡佳琪一诺宏亮海燕春梅晓东丹凤振华国庆秋菊德胜永福淑珍桂芝金凤立新卫东小龙"
    )
)

# What a shop sells; a shop's name is e.g. 王记 + 面馆.
TRADES: tuple[str, ...] = (
    "面馆",
    "便利店",
    "水果店",
    "药房",
    "干洗店",
    "理发店",
    "烟酒行",
    "早餐店",
    "文具店",
    "五金店",
    "茶叶店",
    "快递驿站",
    "花店",
    "蛋糕店",
    "眼镜店",
    "母婴店",
)

BANKS: tuple[str, ...] = (
    "工商银行",
    "建设银行",
    "农业银行",
    "中国银行",
    "交通银行",
    "招商银行",
    "邮储银行",
    "兴业银行",
    "浦发银行",
    "民生银行",
)

# Mobile number prefixes (three digits); eight random digits follow.
PHONE_PREFIXES: tuple[str, ...] = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "199",
)
