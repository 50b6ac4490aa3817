"""WTForms definitions. The same form validates a web submission, a CLI call and a CSV row."""

from __future__ import annotations

from wtforms import Form, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from feedback.schema import STATION_KINDS


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
