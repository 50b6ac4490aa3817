"""The suggestion page's 公开栏 card (staff): the title written for the public board, and the
villagers who added "我也遇到" (how many; those who left a phone, masked unless revealed,
with the text each is sent when the suggestion is answered)."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import StringField

from feedback import board, notify, supporters
from feedback.context import categories, get_db
from feedback.text import clean_line
from feedback.web.auth import login_required
from feedback.web.pages import found, scope

bp = Blueprint("supporters", __name__, url_prefix="/admin/suggestions")


class PublicTitleForm(FlaskForm):
    public_title = StringField("公开标题", filters=[clean_line])


def card(db, suggestion: dict, forms: dict) -> dict:
    """What the suggestion page's 公开栏 card shows (web.suggestions._page includes it)."""
    form = forms.get("public") or PublicTitleForm(
        formdata=None, public_title=suggestion.get("public_title") or ""
    )
    return {
        "form": form,
        "default_title": board.default_title(db, suggestion, dict(categories())),
        "supporters": supporters.for_staff(db, scope(), suggestion["id"]),
        "messages": notify.of_supporters(db, scope(), suggestion["id"]),
        "revealed": forms.get("revealed") or {},
    }


def _page(db, suggestion: dict, status: int = 200, **forms):
    from feedback.web.suggestions import _page as suggestion_page

    return suggestion_page(db, suggestion, status, **forms)


@bp.post("/<int:suggestion_id>/public-title")
@login_required
def public_title(suggestion_id: int):
    db = get_db()
    suggestion = found(scope().suggestion(db, suggestion_id))
    form = PublicTitleForm()
    if form.validate():
        try:
            board.set_public_title(db, scope(), suggestion_id, form.public_title.data or "")
        except board.TitleError as error:
            form.public_title.errors = [str(error)]
        except LookupError:
            found(None)
        else:
            back = url_for("suggestions.show", suggestion_id=suggestion_id)
            return redirect(f"{back}#board", 303)
    return _page(db, suggestion, 400, public=form)


@bp.post("/<int:suggestion_id>/supporters/<int:supporter_id>/reveal")
@login_required
def reveal(suggestion_id: int, supporter_id: int):
    """A supporter's whole phone number, for a call back: shown once, logged."""
    db = get_db()
    suggestion = found(scope().suggestion(db, suggestion_id))
    phone = found(supporters.reveal(db, scope(), suggestion_id, supporter_id))
    return _page(db, suggestion, revealed={supporter_id: phone})
