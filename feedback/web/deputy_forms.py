"""Forms of the deputies' pages: the registry (admins) and the deputy's own phone pages.
The rules of a deputy are feedback.deputies.validate (in Chinese), the same as the CLI's."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from feedback.labels import CHANNELS, DEPUTY_LEVELS, DUTY_ACTIVITIES
from feedback.text import clean_line, clean_text
from feedback.web.forms import OpinionFields


class DeputyForm(FlaskForm):
    code = StringField("编码(代表码地址的一部分)")
    name = StringField("姓名")
    town = SelectField("所属镇街", validate_choice=False)
    level = SelectField("层级", choices=list(DEPUTY_LEVELS), default="乡镇", validate_choice=False)
    stations = StringField("所在站点的编码(几个用空格隔开,第一个接收扫代表码提交的意见)")
    phone = StringField("手机号(可不填)")

    def with_towns(self, towns: list[str]) -> DeputyForm:
        self.town.choices = [SelectChoice("", "请选择镇街")] + [SelectChoice(t) for t in towns]
        return self


class DeputyImportForm(FlaskForm):
    file = FileField("CSV 或 Excel(.xlsx)文件", validators=[FileRequired("请选择文件")])


HEARD_CHANNELS = [
    SelectChoice(code, CHANNELS[code]) for code in ("visit", "market", "phone", "other")
]


class HeardOpinionForm(FlaskForm, OpinionFields):
    """An opinion a deputy heard and types in on the villager's behalf."""

    channel = SelectField("在哪里听到的", choices=HEARD_CHANNELS, default="visit")
    place = StringField(
        "地点(哪个村、哪一户、哪个集市)",
        filters=[clean_line],
        validators=[Length(max=40, message="地点最多 40 个字")],
    )
    station = SelectField("记在哪个站点", coerce=int)
    activity = SelectField("属于哪次履职活动", coerce=int, validate_choice=False)
    consent = BooleanField("村民当面同意留下姓名和电话,只用于办理这件事")
    submission_token = HiddenField()  # a double tap stores one opinion (feedback.opinions)

    def validate_consent(self, field: BooleanField) -> None:
        if (self.name.data or self.phone.data) and not field.data:
            raise ValidationError("留了姓名或电话,请先问村民是否同意,再勾选")


class ActivityForm(FlaskForm):
    kind = SelectField(
        "活动类型", choices=[SelectChoice(code, label) for code, label in DUTY_ACTIVITIES.items()]
    )
    held_on = StringField("日期(YYYY-MM-DD)", filters=[clean_line])
    place = StringField(
        "地点",
        filters=[clean_line],
        validators=[DataRequired("请写地点"), Length(max=40, message="地点最多 40 个字")],
    )
    people = StringField("接待或走访的群众(人)", filters=[clean_line])
    notes = TextAreaField(
        "情况记录(可不填)",
        filters=[clean_text],
        validators=[Length(max=2000, message="最多 2000 字")],
    )

    def validate_held_on(self, field: StringField) -> None:
        from datetime import date

        try:
            date.fromisoformat(field.data or "")
        except ValueError:
            raise ValidationError("请写成 2026-03-31 这样的日期") from None

    def validate_people(self, field: StringField) -> None:
        value = field.data or "0"
        if not (value.isascii() and value.isdecimal()) or int(value) > 10000:
            raise ValidationError("人数请写 0 到 10000 之间的整数")
