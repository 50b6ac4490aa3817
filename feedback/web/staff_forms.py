"""Forms of the staff pages (the villager's are in feedback.forms)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from feedback.labels import CHANNELS, STATION_KINDS
from feedback.text import clean_line, clean_text
from feedback.web.forms import OpinionFields

OFFLINE_CHANNELS = [SelectChoice(code, label) for code, label in CHANNELS.items() if code != "form"]


class GatheringFields(FlaskForm):
    """Where offline opinions came from: station, channel, who gathered them."""

    station = SelectField("站点", coerce=int)
    channel = SelectField("收集方式", choices=OFFLINE_CHANNELS, default="paper")
    collected_by = StringField(
        "收集人(代表或工作人员)",
        filters=[clean_line],
        validators=[Length(max=20, message="收集人最多 20 个字")],
    )


class StaffOpinionForm(GatheringFields, OpinionFields):
    """One opinion typed in on a villager's behalf."""

    created_at = StringField("收集时间(空着表示现在)", filters=[clean_line])
    consent = BooleanField("村民已在纸质表上同意留下姓名和电话")
    sms = BooleanField("村民要求有进展时发短信告诉他(并入建议、答复时各一条)")

    def validate_consent(self, field: BooleanField) -> None:
        if (self.name.data or self.phone.data) and not field.data:
            raise ValidationError("留了姓名或电话,请确认村民已同意")


class ImportUploadForm(GatheringFields):
    file = FileField("CSV 或 Excel(.xlsx)文件", validators=[FileRequired("请选择文件")])


class ImportConfirmForm(GatheringFields):
    upload = HiddenField()
    allow_duplicate = BooleanField("这些意见确实要再导入一次")


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        "直接答复(小事马上办,答复后这条意见即办结,村民在查询页能看到)",
        filters=[clean_text],
        validators=[DataRequired("请写答复内容"), Length(max=2000, message="最多 2000 字")],
    )


class RejectForm(FlaskForm):
    reason = StringField(
        "不予受理的理由(村民能看到)",
        filters=[clean_line],
        validators=[DataRequired("请写明理由"), Length(max=200, message="最多 200 字")],
    )


class CategoryForm(FlaskForm):
    category = SelectField("改类别")


class SuggestionTextForm(FlaskForm):
    """A suggestion's title, body and category: proposed on merging, editable afterwards."""

    title = StringField(
        "标题",
        filters=[clean_line],
        validators=[DataRequired("请写标题"), Length(max=60, message="最多 60 字")],
    )
    body = TextAreaField("建议内容", filters=[clean_text], validators=[DataRequired("请写内容")])
    category = SelectField("类别")


class SuggestionForm(SuggestionTextForm):
    """A new suggestion from selected opinions: proposed text, all editable."""

    opinion_ids = HiddenField()
    tier = SelectField(
        "分级", choices=[SelectChoice(t) for t in ("微事", "一般", "重大")], default="一般"
    )


class HandlingForm(FlaskForm):
    """Who handles it and by when."""

    tier = SelectField("分级", choices=[SelectChoice(t) for t in ("微事", "一般", "重大")])
    deadline = StringField("办理期限(YYYY-MM-DD)", filters=[clean_line])
    department = StringField(
        "承办单位", filters=[clean_line], validators=[Length(max=40, message="最多 40 字")]
    )
    # Chosen from the registry of the suggestion's town (feedback.deputy_suggestions checks
    # each code, so a forged or stale choice gets a Chinese reason, not a silent drop).
    lead_deputy = SelectField("领衔代表", validate_choice=False)
    cosigners = SelectMultipleField("附议代表", validate_choice=False)
    progress = TextAreaField(
        "办理进展(可不填)",
        filters=[clean_text],
        validators=[Length(max=1000, message="最多 1000 字")],
    )
    answer = TextAreaField("最终答复(办结时必填,会送达每一位提意见的村民)", filters=[clean_text])

    def validate_deadline(self, field: StringField) -> None:
        from datetime import date

        if field.data:
            try:
                date.fromisoformat(field.data)
            except ValueError:
                raise ValidationError("请写成 2026-03-31 这样的日期") from None


class NoteForm(FlaskForm):
    note = TextAreaField(
        "办理进展", filters=[clean_text], validators=[DataRequired("请写进展"), Length(max=1000)]
    )


class AdvanceForm(FlaskForm):
    answer = TextAreaField("最终答复(办结时必填,会送达每一位提意见的村民)", filters=[clean_text])


ROLE_CHOICES = [
    SelectChoice("clerk", "镇街工作人员(只管本镇)"),
    SelectChoice("admin", "管理员(全县)"),
    SelectChoice("deputy", "人大代表本人(只看自己站点和提给自己的意见)"),
    SelectChoice("department", "承办单位(只看和办交给本单位的建议)"),
]


class RoleFields(FlaskForm):
    """A role and, for a clerk, one of the known towns (choices set by the page); the rule
    that the town exists is feedback.towns.known, with its hint, not the select's."""

    role = SelectField("角色", choices=ROLE_CHOICES, default="clerk")
    town = SelectField("所在镇街(工作人员必选)", validate_choice=False)
    deputy = SelectField("是哪一位代表(人大代表账号必选)", validate_choice=False)
    department = SelectField("所属承办单位(承办单位账号必选)", validate_choice=False)

    def with_towns(
        self, towns: list[str], deputies: list[dict] = (), offices: list[dict] = ()
    ) -> RoleFields:
        self.town.choices = [SelectChoice("", "请选择镇街(管理员不用选)")] + [
            SelectChoice(town) for town in towns
        ]
        self.deputy.choices = [SelectChoice("", "请选择代表(其他角色不用选)")] + [
            SelectChoice(d["code"], f"{d['town']} · {d['name']}({d['code']})") for d in deputies
        ]
        self.department.choices = [SelectChoice("", "请选择承办单位(其他角色不用选)")] + [
            SelectChoice(d["name"], f"{d['name']}({d['town'] or '县级'})") for d in offices
        ]
        return self


class TownForm(FlaskForm):
    name = StringField(
        "镇街名称",
        filters=[clean_line],
        validators=[DataRequired("请填写镇街名称"), Length(max=20, message="最多 20 个字")],
    )


class PasswordFields(FlaskForm):
    password = PasswordField("密码(至少 8 位)", validators=[DataRequired("请设置密码")])
    confirm = PasswordField(
        "再输一遍密码", validators=[EqualTo("password", message="两次输入的密码不一样")]
    )


class NewUserForm(RoleFields, PasswordFields):
    username = StringField(
        "用户名", filters=[clean_line], validators=[DataRequired("请填写用户名")]
    )


class DepartmentForm(FlaskForm):
    name = StringField(
        "单位名称",
        filters=[clean_line],
        validators=[DataRequired("请填写单位名称"), Length(max=40, message="最多 40 字")],
    )
    # Empty: a county office serving every town; the town's existence is towns.known's rule.
    town = SelectField("所属镇街(空着表示县级单位,各镇都可交办)", validate_choice=False)

    def with_towns(self, towns: list[str]) -> DepartmentForm:
        self.town.choices = [SelectChoice("", "县级单位(各镇通用)")] + [
            SelectChoice(town, f"{town}自己的单位") for town in towns
        ]
        return self


class StaffStationForm(FlaskForm):
    """A station typed in by an admin; its rules are feedback.stations.validate (in Chinese),
    the same as the CLI's and the CSV import's."""

    code = StringField("编码(二维码地址的一部分)")
    name = StringField("站点名称")
    town = StringField("所属镇街")
    village = StringField("所属村(社区)")
    kind = SelectField("类型", choices=list(STATION_KINDS), validate_choice=False)
    address = StringField("地址")
