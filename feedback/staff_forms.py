"""Forms of the staff pages (the villager's are in feedback.forms)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from feedback.forms import OpinionFields, clean_line
from feedback.schema import CHANNELS

OFFLINE_CHANNELS = [SelectChoice(code, label) for code, label in CHANNELS.items() if code != "form"]


class GatheringFields(FlaskForm):
    """Where offline opinions came from: station, channel, who gathered them."""

    station = SelectField("站点", coerce=int)
    channel = SelectField("收集方式", choices=OFFLINE_CHANNELS, default="paper")
    collected_by = StringField(
        "收集人(代表或工作人员)", filters=[clean_line],
        validators=[Length(max=20, message="收集人最多 20 个字")],
    )  # fmt: skip


class StaffOpinionForm(GatheringFields, OpinionFields):
    """One opinion typed in on a villager's behalf."""

    created_at = StringField("收集时间(空着表示现在)", filters=[clean_line])
    consent = BooleanField("村民已在纸质表上同意留下姓名和电话")

    def validate_consent(self, field: BooleanField) -> None:
        if (self.name.data or self.phone.data) and not field.data:
            raise ValidationError("留了姓名或电话,请确认村民已同意")


class ImportUploadForm(GatheringFields):
    file = FileField("CSV 或 Excel(.xlsx)文件", validators=[FileRequired("请选择文件")])


class ImportConfirmForm(GatheringFields):
    upload = HiddenField()
    allow_duplicate = BooleanField("这些意见确实要再导入一次")
