"""The deputies' registry page (/admin/deputies): every deputy in scope with their stations
and card (代表码), as the CLI draws it. Admins add one, import a file and retire one, with
the rules of feedback.deputies in Chinese; a clerk sees their own town's."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm

from feedback import deputies, stations, tabular, towns
from feedback.context import get_db
from feedback.render import cards
from feedback.render.fonts import PosterFonts
from feedback.web.auth import admin_required, login_required
from feedback.web.deputy_forms import DeputyForm, DeputyImportForm
from feedback.web.pages import found, scope

bp = Blueprint("deputies", __name__, url_prefix="/admin/deputies")


def _in_scope(deputy_id: int) -> dict:
    """A deputy of a town the user may see, or a 404."""
    return found(next(iter(deputies.in_scope(get_db(), scope(), deputy_id)), None))


def _page(form=None, import_form=None, import_error=None, bad_lines=(), status: int = 200):
    db = get_db()
    rows = deputies.in_scope(db, scope())
    base = current_app.config["FEEDBACK_BASE_URL"]
    return render_template(
        "admin/deputies.html",
        deputies=rows,
        urls={d["id"]: deputies.deputy_url(base, d["code"]) for d in rows},
        base_url_warning=stations.base_url_warning(base, "zh"),
        form=(form or DeputyForm(formdata=None)).with_towns(towns.names(db)),
        import_form=import_form or DeputyImportForm(formdata=None, prefix="i"),
        import_error=import_error,
        bad_lines=bad_lines,
    ), status


@bp.get("/")
@login_required
def index():
    return _page()


@bp.post("/")
@admin_required
def add():
    form = DeputyForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    values = {key: form[key].data for key in deputies.COLUMNS}
    try:
        deputy = deputies.add(get_db(), values, actor=g.user["username"], language="zh")
    except deputies.DeputyError as error:
        for key, message in error.fields.items():
            form[key].errors = [message]
        return _page(form, status=400)
    return redirect(url_for("deputies.index", added=deputy["code"]) + "#deputies", 303)


@bp.post("/import")
@admin_required
def import_file():
    """All or nothing, every bad line named, as `feedback deputy import` does."""
    form = DeputyImportForm(prefix="i")
    if not form.validate_on_submit():
        return _page(import_form=form, status=400)
    upload = form.file.data
    data = upload.read(tabular.MAX_FILE_BYTES + 1)
    try:
        added = deputies.import_csv(
            get_db(), data, g.user["username"], upload.filename or "", language="zh"
        )
    except deputies.ImportRejected as rejected:
        error = f"有 {len(rejected.errors)} 行有错,一位代表也没有导入;请改好后重新上传"
        return _page(import_form=form, import_error=error, bad_lines=rejected.errors, status=400)
    except deputies.DeputyError as error:
        return _page(import_form=form, import_error=str(error), status=400)
    return redirect(url_for("deputies.index", imported=len(added)) + "#deputies", 303)


@bp.post("/<int:deputy_id>/retire")
@admin_required
def retire(deputy_id: int):
    """The code stops taking opinions; what the deputy did stays on record."""
    deputy = _in_scope(deputy_id)
    if FlaskForm().validate_on_submit():
        try:
            deputies.retire(get_db(), deputy["code"], g.user["username"])
        except deputies.DeputyError as error:
            return render_template("admin/message.html", message=error.fields["code"]), 409
    return redirect(url_for("deputies.index") + "#deputies", 303)


@bp.get("/<int:deputy_id>/card.<any(pdf, png):kind>")
@login_required
def card(deputy_id: int, kind: str):
    deputy = _in_scope(deputy_id)
    size = request.args.get("size", "A5").upper()
    if size not in cards.SIZES:
        abort(404)
    config = current_app.config
    args = (deputy, config["FEEDBACK_BASE_URL"], PosterFonts.from_config(config))
    title = config["FEEDBACK_POSTER_TITLE"]
    if kind == "pdf":
        body, mimetype = cards.card_pdf(*args, title, size), "application/pdf"
    else:
        body, mimetype = cards.card_png(*args, title, size), "image/png"
    disposition = f'attachment; filename="{deputy["code"]}.{kind}"'
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})
