"""The fixed words of the domain and their Chinese labels, defined once.

Statuses, tiers, channels, ratings and station kinds are read from here by the schema's
CHECK constraints, the domain rules, the forms, the reports and the ledger alike.
"""

from __future__ import annotations

# Opinion categories (the district platform's six, and 其他), code -> label, in the order forms
# show them; a county may configure its own (FEEDBACK_CATEGORIES).
CATEGORIES = {
    "pollution": "污染防治",
    "cityscape": "市容市貌",
    "food-drug": "食药安全",
    "rural": "乡村振兴",
    "emergency": "公共应急",
    "labour": "职工维权",
    "other": "其他",
}
STATION_KINDS = ("议事亭", "联络站", "公告栏", "微信群", "其他")
RATINGS = ("满意", "基本满意", "不满意")
# Where an opinion came from: the QR form, or gathered offline and entered by staff.
CHANNELS = {
    "form": "二维码表单",
    "paper": "纸质意见表",
    "market": "赶圩日摊位",
    "visit": "代表走访",
    "phone": "电话",
    "other": "其他",
}
# An opinion's status as staff read it (spam is stored but never listed).
OPINION_STATUSES = {
    "new": "待处理",
    "merged": "已并入建议",
    "answered": "已答复",
    "rejected": "未予受理",
}
# Suggestions: the tier sets the default deadline (微事马上办、一般速交办、重大监督办).
TIERS = ("微事", "一般", "重大")
SUGGESTION_STATUSES = ("待交办", "已交办", "办理中", "已办结")
NEXT_STATUS = {"待交办": "已交办", "已交办": "办理中", "办理中": "已办结"}
CLOSED = "已办结"
