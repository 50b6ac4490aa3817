"""Staff accounts in the browser (admins only). Every change goes through feedback.users,
which checks it and writes the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for
from flask_wtf import FlaskForm

from feedback import audit, departments, deputies, towns, users
from feedback.context import get_db
from feedback.web.auth import admin_required
from feedback.web.pages import submit
from feedback.web.staff_forms import NewUserForm, PasswordFields, RoleFields, TownForm

bp = Blueprint("users", __name__, url_prefix="/admin")


def _users_page(
    form: NewUserForm | None = None,
    error: str | None = None,
    status: int = 400,
    town_form: TownForm | None = None,
    town_error: str | None = None,
):
    db = get_db()
    return render_template(
        "admin/users.html",
        rows=users.listing(db),
        form=(form or NewUserForm(formdata=None)).with_towns(
            towns.names(db), _deputies(db), _offices(db)
        ),
        town_form=town_form or TownForm(formdata=None, prefix="t"),
        town_error=town_error,
        error=error,
    ), status


def _deputy_code(form: RoleFields) -> str | None:
    """The deputy chosen, for a deputy's account; as with the town, the select's value is
    left out for the roles that have none (it stays filled when the role is changed)."""
    return form.deputy.data if form.role.data == "deputy" else None


def _department_name(form: RoleFields) -> str | None:
    """The office chosen, for a department account (the same rule as the deputy's)."""
    return form.department.data if form.role.data == "department" else None


def _offices(db) -> list[dict]:
    """Offices in use, county ones and every town's: what a department account can work for."""
    return [d for d in departments.listing(db, None) if d["active"]]


def _deputies(db) -> list[dict]:
    """Deputies in office without an account yet: the ones a new deputy account can be."""
    taken = {
        row[0] for row in db.execute("select deputy_id from users where deputy_id is not null")
    }
    return [d for d in deputies.listing(db) if d["active"] and d["id"] not in taken]


@bp.get("/users")
@admin_required
def user_list():
    return _users_page(status=200)


@bp.post("/users")
@admin_required
def user_add():
    form = NewUserForm()
    return submit(
        form,
        lambda: users.add(
            get_db(),
            form.username.data,
            form.password.data,
            form.role.data,
            form.town.data,
            actor=g.user["username"],
            department=_department_name(form),
            deputy=_deputy_code(form),
        ),
        _users_page,
        lambda user: url_for("users.user_page", user_id=user["id"], added=1),
    )


@bp.post("/towns")
@admin_required
def town_add():
    """A town ahead of its first station, so its clerks can have accounts."""
    form = TownForm(prefix="t")
    if not form.validate_on_submit():
        return _users_page(town_form=form)
    try:
        towns.add(get_db(), form.name.data, actor=g.user["username"])
    except towns.TownError as error:
        return _users_page(town_form=form, town_error=error.zh)
    return redirect(url_for("users.user_list", town_added=form.name.data) + "#new-user", 303)


def _account(user_id: int) -> dict:
    return users.find(get_db(), user_id) or abort(404)


def _user_page(user: dict, error: str | None = None, status: int = 400, **forms):
    db = get_db()
    role_form = forms.get("role") or RoleFields(formdata=None, role=user["role"], town=user["town"])
    mine = deputies.by_id(db, user["deputy_id"]) if user.get("deputy_id") else None
    role_form.deputy.data = role_form.deputy.data or (mine["code"] if mine else "")
    office = departments.get(db, user["department_id"]) if user.get("department_id") else None
    role_form.department.data = role_form.department.data or (office["name"] if office else "")
    return render_template(
        "admin/user.html",
        account=user,
        role_form=role_form.with_towns(
            towns.names(db), ([mine] if mine else []) + _deputies(db), _offices(db)
        ),
        password_form=forms.get("password") or PasswordFields(formdata=None),
        history=audit.history(db, "user", user["id"]),
        error=error,
    ), status


@bp.get("/users/<int:user_id>")
@admin_required
def user_page(user_id: int):
    return _user_page(_account(user_id), status=200)


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id: int):
    user, form = _account(user_id), RoleFields()
    return submit(
        form,
        lambda: users.change_role(
            get_db(),
            user,
            form.role.data,
            form.town.data,
            g.user["username"],
            department=_department_name(form),
            deputy=_deputy_code(form),
        ),
        lambda form, error: _user_page(user, error, role=form),
        url_for("users.user_page", user_id=user_id),
    )


@bp.post("/users/<int:user_id>/password")
@admin_required
def user_password(user_id: int):
    user, form = _account(user_id), PasswordFields()
    return submit(
        form,
        lambda: users.set_password(get_db(), user, form.password.data, g.user["username"]),
        lambda form, error: _user_page(user, error, password=form),
        url_for("users.user_page", user_id=user_id),
    )


@bp.post("/users/<int:user_id>/<any(enable, disable):action>")
@admin_required
def user_active(user_id: int, action: str):
    user = _account(user_id)
    if user["id"] == g.user["id"]:
        return _user_page(user, "不能停用自己正在用的账号")
    return submit(
        FlaskForm(),
        lambda: users.set_active(get_db(), user, action == "enable", g.user["username"]),
        lambda form, error: _user_page(user, error),
        url_for("users.user_page", user_id=user_id),
    )
