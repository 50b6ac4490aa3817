"""The stations page: every station in scope with its poster, as the CLI draws it."""

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
)  # fmt: skip

from feedback import posters, scope, stations
from feedback.auth import admin_required, login_required
from feedback.db import get_db
from feedback.fonts import PosterFonts
from feedback.staff_forms import StaffStationForm
from feedback.stations import station_url

bp = Blueprint("station_pages", __name__, url_prefix="/admin/stations")


def _size() -> str:
    size = request.args.get("size", "A4").upper()
    return size if size in ("A4", "A3") else abort(404)


def _render_args() -> tuple[str, PosterFonts, str]:
    config = current_app.config
    return config["FEEDBACK_BASE_URL"], PosterFonts.from_config(config), config[
        "FEEDBACK_POSTER_TITLE"]  # fmt: skip


@bp.get("/")
@login_required
def index():
    return _page()


def _page(form: StaffStationForm | None = None, status: int = 200):
    db = get_db()
    rows = scope.current().stations(db, active_only=False)
    base = current_app.config["FEEDBACK_BASE_URL"]
    towns = sorted({row["town"] for row in rows if row["active"]})
    urls = {row["id"]: station_url(base, row["code"]) for row in rows}
    return render_template(
        "admin/stations.html", stations=rows, towns=towns, urls=urls,
        form=form or StaffStationForm(formdata=None),
    ), status  # fmt: skip


@bp.post("/")
@admin_required
def add():
    """A new station from the browser; its poster is ready for download at once."""
    form = StaffStationForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    values = {key: form[key].data for key in stations.COLUMNS}
    try:
        station = stations.add(get_db(), values, actor=g.user["username"])
    except stations.StationError:
        form.code.errors = [f"编码 {form.code.data} 已被其他站点使用,请换一个"]
        return _page(form, status=400)
    return redirect(url_for("station_pages.index", added=station["code"]) + "#stations", 303)


@bp.post("/<int:station_id>/<any(enable, disable):action>")
@admin_required
def set_active(station_id: int, action: str):
    """A disabled station's QR code shows a polite 404; its opinions stay."""
    station = scope.current().station(get_db(), station_id)
    stations.set_active(get_db(), station["code"], action == "enable", g.user["username"])
    return redirect(url_for("station_pages.index") + "#stations", 303)


@bp.get("/<int:station_id>/poster.<any(pdf, png):kind>")
@login_required
def poster(station_id: int, kind: str):
    station = scope.current().station(get_db(), station_id)
    base, fonts, title = _render_args()
    if kind == "pdf":
        body = posters.poster_pdf([station], base, fonts, title, _size())
        return _file(body, "application/pdf", f"{station['code']}.pdf")
    share = request.args.get("share") == "1"
    body = posters.poster_png(station, base, fonts, title, _size(), share=share)
    return _file(body, "image/png", f"{station['code']}{'-share' if share else ''}.png")


@bp.get("/book.pdf")
@login_required
def book():
    """Every active station of a town (a clerk: their own) in one PDF, a page each."""
    db = get_db()
    town = request.args.get("town", "")
    chosen = [s for s in scope.current().stations(db) if s["town"] == town]
    if not chosen:
        abort(404)
    base, fonts, title = _render_args()
    body = posters.poster_pdf(chosen, base, fonts, title, _size())
    return _file(body, "application/pdf", "posters.pdf")


def _file(body: bytes, mimetype: str, filename: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})
