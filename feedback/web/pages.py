"""Steps every staff page shares: the signed-in user's scope, a 404 for what lies outside
it, and validate-change-redirect for forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, g, redirect
from flask_wtf import FlaskForm

from feedback import departments, users
from feedback.access import Access

T = TypeVar("T")


def scope() -> Access:
    """What the signed-in user may see and change."""
    return Access.of(g.user)


def found(row: T | None) -> T:
    """The row, or a 404 that tells a user outside its scope nothing."""
    if row is None:
        abort(404)
    return row


REFUSALS = (users.UserError, departments.DepartmentError)


def submit(
    form: FlaskForm,
    change: Callable[[], object],
    page: Callable,
    done: str | Callable[[object], str],
):
    """Validate, make the change, and either go on to `done` (a URL, or one made from what the
    change returned) or show the page again with the form as typed and the reason (Chinese)
    the change was refused."""
    if not form.validate_on_submit():
        return page(form, None)
    try:
        result = change()
    except REFUSALS as error:
        return page(form, getattr(error, "zh", str(error)))
    return redirect(done(result) if callable(done) else done, 303)
