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
)

from feedback import stations
from feedback.context import get_db
from feedback.render import posters
from feedback.render.fonts import PosterFonts
from feedback.stations import station_url
from feedback.web.auth import admin_required, login_required
from feedback.web.pages import found, scope
from feedback.web.staff_forms import StaffStationForm

bp = Blueprint("stations", __name__, url_prefix="/admin/stations")


def _size() -> str:
    size = request.args.get("size", "A4").upper()
    return size if size in ("A4", "A3") else abort(404)


def _render_args() -> tuple[str, PosterFonts, str]:
    config = current_app.config
    return (
        config["FEEDBACK_BASE_URL"],
        PosterFonts.from_config(config),
        config["FEEDBACK_POSTER_TITLE"],
    )


@bp.get("/")
@login_required
def index():
    return _page()


def _page(form: StaffStationForm | None = None, status: int = 200):
    db = get_db()
    rows = scope().stations(db, active_only=False)
    base = current_app.config["FEEDBACK_BASE_URL"]
    towns = sorted({row["town"] for row in rows if row["active"]})
    urls = {row["id"]: station_url(base, row["code"]) for row in rows}
    return render_template(
        "admin/stations.html",
        stations=rows,
        towns=towns,
        urls=urls,
        base_url_warning=stations.base_url_warning(base, "zh"),
        form=form or StaffStationForm(formdata=None),
    ), status


@bp.post("/")
@admin_required
def add():
    """A new station from the browser; its poster is ready for download at once."""
    form = StaffStationForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    values = {key: form[key].data for key in stations.COLUMNS}
    try:
        station = stations.add(get_db(), values, actor=g.user["username"], language="zh")
    except stations.StationError as error:
        for key, message in error.fields.items():
            form[key].errors = [message]
        return _page(form, status=400)
    return redirect(url_for("stations.index", added=station["code"]) + "#stations", 303)


@bp.post("/<int:station_id>/<any(enable, disable):action>")
@admin_required
def set_active(station_id: int, action: str):
    """A disabled station's QR code shows a polite 404; its opinions stay."""
    station = found(scope().station(get_db(), station_id))
    stations.set_active(get_db(), station["code"], action == "enable", g.user["username"])
    return redirect(url_for("stations.index") + "#stations", 303)


@bp.get("/<int:station_id>/poster.<any(pdf, png):kind>")
@login_required
def poster(station_id: int, kind: str):
    station = found(scope().station(get_db(), station_id))
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
    chosen = [s for s in scope().stations(db) if s["town"] == town]
    if not chosen:
        abort(404)
    base, fonts, title = _render_args()
    body = posters.poster_pdf(chosen, base, fonts, title, _size())
    return _file(body, "application/pdf", "posters.pdf")


def _file(body: bytes, mimetype: str, filename: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})
