"""The villager's forms (WTForms): the opinion form of /s/<code> and the rating form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from feedback.labels import RATINGS
from feedback.text import BODY_MAX, BODY_MIN, PHONE_PATTERN, clean_line, clean_text, phone_digits


class OpinionFields(Form):
    """What an opinion is made of, wherever it is typed: the villager's form or a clerk's."""

    body = TextAreaField(
        "意见建议",
        filters=[clean_text],
        validators=[
            DataRequired("请写下您的意见建议"),
            Length(min=BODY_MIN, message=f"请至少写 {BODY_MIN} 个字,把事情说清楚一些"),
            Length(max=BODY_MAX, message=f"最多 {BODY_MAX} 字,请精简一些"),
        ],
    )
    category = SelectField("类别", validate_choice=False)
    name = StringField(
        "姓名", filters=[clean_line], validators=[Length(max=20, message="姓名最多 20 个字")]
    )
    phone = StringField(
        "手机号",
        filters=[phone_digits],
        validators=[
            Optional(),
            Regexp(PHONE_PATTERN, message="请填写 11 位手机号码,例如 13812345678"),
        ],
    )
    consent = BooleanField("同意")
    sms = BooleanField("有进展时发短信告诉我")

    def validate_category(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in field.choices if choice.value}:
            raise ValidationError("请从列表里选择类别")

    def validate_consent(self, field: BooleanField) -> None:
        if (self.name.data or self.phone.data) and not field.data:
            raise ValidationError("留了姓名或电话,请勾选同意,我们才能联系您")

    def validate_sms(self, field: BooleanField) -> None:
        if field.data and not self.phone.data:
            raise ValidationError("要收短信,请填写手机号")


class OpinionForm(FlaskForm, OpinionFields):
    """The villager's form on /s/<code>; photos are checked by feedback.photos."""

    website = StringField("网址")  # honeypot: hidden from people, filled in by bots
    submission_token = HiddenField()


class RatingField(RadioField):
    def pre_validate(self, form: Form) -> None:
        if self.data not in RATINGS:
            raise ValidationError("请选择:满意、基本满意或不满意")


class RatingForm(FlaskForm):
    rating = RatingField(
        "您对答复满意吗",
        choices=[SelectChoice(r) for r in RATINGS],
        validators=[DataRequired("请选择:满意、基本满意或不满意")],
    )
    reason = TextAreaField(
        "如果不满意,请说说原因(可不填)",
        filters=[clean_text],
        validators=[Length(max=500, message="最多 500 字")],
    )


class SupportForm(FlaskForm):
    """我也遇到 on the public board: a tap, optionally with a phone to be told of the answer."""

    phone = OpinionFields.phone
    consent = BooleanField("同意")
    submission_token = HiddenField()

    def validate_consent(self, field: BooleanField) -> None:
        if self.phone.data and not field.data:
            raise ValidationError("留了手机号,请勾选同意,办好后我们才能告诉您")


class AdditionForm(FlaskForm):
    """补充说明 on the status page; its photos are checked by feedback.photos."""

    more = TextAreaField(
        "补充说明",
        filters=[clean_text],
        validators=[Length(max=500, message="补充说明最多 500 字,请精简一些")],
    )
    submission_token = HiddenField()
