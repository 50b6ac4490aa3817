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

# What the audit log's actions and changed fields are called on the staff pages' 记录.
AUDIT_ACTIONS = {
    "opinion.enter": "录入意见",
    "opinion.import": "导入意见",
    "opinion.answer": "直接答复",
    "opinion.reject": "不予受理",
    "opinion.category": "改类别",
    "opinion.merge": "并入建议",
    "opinion.unmerge": "移出建议",
    "opinion.rate": "村民评价",
    "opinion.reveal_phone": "查看完整电话",
    "opinion.purge_contacts": "清除联系方式",
    "opinion.sms_optout": "不再发短信",
    "sms.optout": "短信退订",
    "opinion.addition": "村民补充说明",
    "suggestion.public_title": "修改公开标题",
    "suggestion.support": "我也遇到",
    "supporter.reveal_phone": "查看支持者电话",
    "suggestion.create": "生成建议",
    "suggestion.update": "修改交办信息",
    "suggestion.edit": "修改标题内容",
    "suggestion.status": "改状态",
    "suggestion.note": "记录进展",
    "suggestion.recur": "问题再次出现",
    "suggestion.deputies": "领衔和附议代表",
    "suggestion.propose": "代表提出建议",
    "suggestion.verdict": "代表意见",
    "station.add": "添加站点",
    "station.import": "导入站点",
    "station.enable": "启用站点",
    "station.disable": "停用站点",
    "user.add": "添加账号",
    "user.role": "改角色",
    "user.password": "改密码",
    "user.enable": "启用账号",
    "user.disable": "停用账号",
    "user.login": "登录",
    "town.add": "添加镇街",
    "department.add": "添加承办单位",
    "deputy.add": "添加代表",
    "deputy.import": "导入代表",
    "deputy.retire": "代表离任",
    "deputy.activity": "记录履职活动",
    "handling.handover": "在线交办",
    "handling.sign": "签收",
    "handling.return": "退回",
    "handling.progress": "办理进展",
    "handling.extension_ask": "申请延期",
    "handling.extension_grant": "同意延期",
    "handling.extension_refuse": "不同意延期",
    "handling.part": "协办意见",
    "handling.answer": "提交答复",
    "handling.accept": "审核通过",
    "handling.send_back": "退回重办",
    "handling.urge": "督办",
    "opinion.return_visit": "回访",
    "opinion.reopen": "二次办理",
    "suggestion.reopen": "二次办理",
}
AUDIT_FIELDS = {
    "outcome": "回访结果",
    "status": "状态",
    "suggestion": "建议",
    "opinions": "意见",
    "number": "编号",
    "title": "标题",
    "body": "内容",
    "category": "类别",
    "tier": "分级",
    "deadline": "期限",
    "department_id": "承办单位",
    "deputies": "责任代表",
    "assigned_at": "交办时间",
    "closed_at": "办结时间",
    "answer": "答复",
    "note": "进展",
    "rating": "评价",
    "reason": "理由",
    "follows": "接续此前的建议",
    "followed_by": "再次出现,新建建议",
    "role": "角色",
    "town": "镇街",
    "department": "承办单位",
    "deputy": "代表",
    "new_date": "日期",
    "result_class": "办理结果",
    "photos": "现场照片",
    "cancelled": "取消的待发短信",
    "messages": "短信里删除的号码",
    "public_title": "公开标题",
    "addition": "补充说明",
}

# Online handling by departments (feedback.handling): the result class of an answer, as used
# for deputies' suggestions, and the acts on a suggestion's timeline.
RESULT_CLASSES = {"A": "已解决或采纳", "B": "正在解决或列入计划", "C": "因条件限制暂不能解决"}
HANDLING_EVENTS = {
    "handover": "交办",
    "sign": "签收",
    "return": "退回",
    "progress": "办理进展",
    "extension_ask": "申请延期",
    "extension_grant": "同意延期",
    "extension_refuse": "不同意延期",
    "part": "协办意见",
    "answer": "提交答复",
    "accept": "审核通过,已办结",
    "send_back": "退回重办",
    "urge": "督办",
}
HANDLER_ROLES = {"lead": "主办", "co": "协办"}

# Deputies (feedback.deputies): the level of congress they were elected to, and the kinds of
# duty activity they record on their phone (履职活动), code -> label.
DEPUTY_LEVELS = ("全国", "省", "市", "县", "乡镇")
DUTY_ACTIVITIES = {
    "reception": "进站接待",
    "visit": "走访",
    "inspection": "调研视察",
    "forum": "座谈",
    "market": "集市摆摊",
}
