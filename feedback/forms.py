"""WTForms definitions. The same form validates a web submission, a CLI call and a CSV row."""

from __future__ import annotations

import re
import unicodedata

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

from feedback.schema import RATINGS, STATION_KINDS

BODY_MIN, BODY_MAX = 5, 2000
PHONE_PATTERN = r"^1[3-9][0-9]{9}$"  # a mainland mobile number


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


class StationKindField(SelectField):
    """A station kind; empty means 其他."""

    def pre_validate(self, form: Form) -> None:
        if self.data not in STATION_KINDS:
            raise ValidationError(f"kind must be one of {', '.join(STATION_KINDS)}")


class StationForm(Form):
    code = StringField(
        "code",
        filters=[_strip, _lower],
        validators=[
            DataRequired("code is required"),
            Regexp(
                r"^[a-z0-9-]{2,32}$",
                message="code must be 2-32 characters of a-z, 0-9 and '-'",
            ),
        ],
    )
    name = StringField(
        "name",
        filters=[_strip],
        validators=[
            DataRequired("name is required"),
            Length(max=40, message="name is over 40 characters"),
        ],
    )
    town = StringField(
        "town",
        filters=[_strip],
        validators=[
            DataRequired("town is required"),
            Length(max=20, message="town is over 20 characters"),
        ],
    )
    village = StringField(
        "village",
        filters=[_strip],
        validators=[Length(max=20, message="village is over 20 characters")],
    )
    kind = StationKindField(
        "kind", choices=list(STATION_KINDS), filters=[_strip, lambda v: v or "其他"]
    )
    address = StringField(
        "address",
        filters=[_strip],
        validators=[Length(max=100, message="address is over 100 characters")],
    )

    def error_text(self) -> str:
        """All field errors on one line, for the CLI and import reports."""
        return "; ".join(message for messages in self.errors.values() for message in messages)


# Zero-width characters that make text look longer than it is (ZWJ stays: emoji need it).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"))


def clean_text(value: str | None) -> str | None:
    """Trim, and drop control characters (NUL, C1...) and zero-width spaces no one types."""
    if not isinstance(value, str):
        return value
    value = value.translate(_INVISIBLE)
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()


def clean_line(value: str | None) -> str | None:
    """Like clean_text, for one-line fields: line breaks become spaces."""
    value = clean_text(value)
    return " ".join(value.split()) if isinstance(value, str) else value


def phone_digits(value: str | None) -> str | None:
    """A phone number as typed (full-width digits, spaces, dashes, +86) to plain digits."""
    if not isinstance(value, str):
        return value
    value = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", value))
    return re.sub(r"^(\+?86)", "", value) if len(value) > 11 else value


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

    def validate_category(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in field.choices if choice.value}:
            raise ValidationError("请从列表里选择类别")

    def validate_consent(self, field: BooleanField) -> None:
        if (self.name.data or self.phone.data) and not field.data:
            raise ValidationError("留了姓名或电话,请勾选同意,我们才能联系您")


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
