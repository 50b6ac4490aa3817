"""Forms of online handling, for department accounts and for the clerk. Each carries the
last timeline event its page showed (`seen`): feedback.handling refuses an act made on a
page that someone else's act has overtaken since."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from feedback.labels import RESULT_CLASSES
from feedback.text import clean_line, clean_text


class Seen(FlaskForm):
    seen = HiddenField()

    def seen_id(self) -> int:
        value = (self.seen.data or "").strip()
        return int(value) if value.isdigit() and len(value) < 19 else -1


def _iso_date(form: FlaskForm, field: StringField) -> None:
    try:
        date.fromisoformat(field.data or "")
    except ValueError:
        raise ValidationError("请写成 2026-03-31 这样的日期") from None


def _reason(label: str, required: bool = True) -> StringField:
    validators = [Length(max=200, message="最多 200 字")]
    if required:
        validators.insert(0, DataRequired(f"请写{label}"))
    return StringField(label, filters=[clean_line], validators=validators)


class SignForm(Seen):
    pass


class ReturnForm(Seen):
    reason = _reason("退回理由(为什么不归本单位办理,镇里会看到)")


class ProgressForm(Seen):
    body = TextAreaField(
        "办理进展",
        filters=[clean_text],
        validators=[DataRequired("请写办理进展"), Length(max=1000, message="最多 1000 字")],
    )
    photos = MultipleFileField("现场照片(最多 3 张)")


class ExtensionForm(Seen):
    until = StringField("延期到(YYYY-MM-DD)", filters=[clean_line], validators=[_iso_date])
    reason = _reason("延期理由")


class PartForm(Seen):
    text = TextAreaField(
        "协办意见(主办单位汇总后答复)",
        filters=[clean_text],
        validators=[DataRequired("请写协办意见"), Length(max=2000, message="最多 2000 字")],
    )


class AnswerForm(Seen):
    result_class = RadioField(
        "办理结果",
        choices=[
            SelectChoice(code, f"{code} 类:{label}") for code, label in RESULT_CLASSES.items()
        ],
        validators=[DataRequired("请选办理结果")],
    )
    text = TextAreaField(
        "答复内容(审核通过后,每一位提意见的村民都能看到)",
        filters=[clean_text],
        validators=[DataRequired("请写答复内容"), Length(max=2000, message="最多 2000 字")],
    )


class HandOverForm(Seen):
    lead = SelectField("主办单位", coerce=int, validate_choice=False)
    co = SelectMultipleField(
        "协办单位(可不选)",
        coerce=int,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    deadline = StringField("办理期限(YYYY-MM-DD)", filters=[clean_line], validators=[_iso_date])


class DecideForm(Seen):
    reason = _reason("不同意延期的理由(同意可不写)", required=False)


class ReviewForm(Seen):
    reason = _reason("退回重办的理由(通过可不写)", required=False)


class UrgeForm(Seen):
    reason = _reason("督办意见(可不写)", required=False)
