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

    def __init__(self, *args, message: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.message = message

    def pre_validate(self, form: Form) -> None:
        if self.data not in STATION_KINDS:
            raise ValidationError(self.message)


CODE_PATTERN = r"^[a-z0-9-]{2,32}$"
STATION_LIMITS = {"name": 40, "town": 20, "village": 20, "address": 100}
# The same rules speak English to the CLI and CSV imports, Chinese to staff pages.
STATION_WORDS = {
    "en": {"code": "code", "name": "name", "town": "town", "village": "village", "kind": "kind",
           "address": "address", "required": "{} is required", "long": "{} is over {} characters",
           "pattern": "code must be 2-32 characters of a-z, 0-9 and '-'",
           "kinds": f"kind must be one of {', '.join(STATION_KINDS)}"},
    "zh": {"code": "编码(二维码地址的一部分)", "name": "站点名称", "town": "所属镇街",
           "village": "所属村(社区)", "kind": "类型", "address": "地址", "required": "请填写{}",
           "long": "{}最多 {} 个字", "pattern": "编码为 2-32 位小写字母、数字或 -",
           "kinds": f"类型只能是 {'、'.join(STATION_KINDS)}"},
}  # fmt: skip


def station_fields(language: str) -> dict:
    """The station form's fields with messages in one language (see STATION_WORDS)."""
    w = STATION_WORDS[language]

    def text(key: str, required: bool = False) -> StringField:
        short = w[key] if language == "zh" else key
        checks = [Length(max=STATION_LIMITS[key], message=w["long"].format(short,
                                                                          STATION_LIMITS[key]))]
        if required:
            checks.insert(0, DataRequired(w["required"].format(short)))
        return StringField(w[key], filters=[_strip], validators=checks)

    return {
        "code": StringField(w["code"], filters=[_strip, _lower], validators=[
            DataRequired(w["required"].format(w["code"] if language == "zh" else "code")),
            Regexp(CODE_PATTERN, message=w["pattern"])]),
        "name": text("name", required=True),
        "town": text("town", required=True),
        "village": text("village"),
        "kind": StationKindField(w["kind"], choices=list(STATION_KINDS), message=w["kinds"],
                                 filters=[_strip, lambda v: v or "其他"]),
        "address": text("address"),
    }  # fmt: skip


class StationErrors:
    def error_text(self) -> str:
        """All field errors on one line, for the CLI and import reports."""
        return "; ".join(message for messages in self.errors.values() for message in messages)


StationForm = type("StationForm", (StationErrors, Form), station_fields("en"))


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
