"""The managed list of departments (承办单位) suggestions are handed to: clerks see it with
their town's counts, admins keep it. Every change goes through feedback.departments."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, url_for
from flask_wtf import FlaskForm

from feedback import departments, towns
from feedback.context import get_db
from feedback.web.auth import admin_required, login_required
from feedback.web.pages import scope, submit
from feedback.web.staff_forms import DepartmentForm

bp = Blueprint("departments", __name__, url_prefix="/admin")


def _departments_page(
    form: DepartmentForm | None = None, error: str | None = None, status: int = 400
):
    if form is not None and form.name.errors and not error:
        error = "、".join(form.name.errors)
    return render_template(
        "admin/departments.html",
        rows=departments.listing(get_db(), scope().town),
        form=(form or DepartmentForm(formdata=None)).with_towns(towns.names(get_db())),
        error=error,
    ), status


@bp.get("/departments")
@login_required
def index():
    """Clerks see the list they pick from (their town's own offices and the county's);
    admins keep it."""
    return _departments_page(status=200)


@bp.post("/departments")
@admin_required
def add():
    form = DepartmentForm()
    return submit(
        form,
        lambda: departments.add(get_db(), form.name.data, g.user["username"], form.town.data),
        _departments_page,
        url_for("departments.index"),
    )


def _department(department_id: int) -> dict:
    return departments.get(get_db(), department_id) or abort(404)


@bp.post("/departments/<int:department_id>/rename")
@admin_required
def rename(department_id: int):
    department, form = _department(department_id), DepartmentForm()
    return submit(
        form,
        lambda: departments.rename(get_db(), department, form.name.data, g.user["username"]),
        lambda form, error: _departments_page(None, error or "、".join(form.name.errors)),
        url_for("departments.index"),
    )


@bp.post("/departments/<int:department_id>/<any(enable, disable):action>")
@admin_required
def set_active(department_id: int, action: str):
    department = _department(department_id)
    return submit(
        FlaskForm(),
        lambda: departments.set_active(
            get_db(), department, action == "enable", g.user["username"]
        ),
        _departments_page,
        url_for("departments.index"),
    )
