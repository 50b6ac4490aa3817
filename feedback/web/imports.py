"""Staff pages for opinions gathered offline: type one in on a villager's behalf, upload a
file with a preview of every row before anything is stored, print receipt slips."""

from __future__ import annotations

import re
import secrets
import time
from itertools import islice
from pathlib import Path

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
from wtforms.fields.choices import SelectChoice

from feedback import clock, imports, opinions
from feedback.context import categories, get_db, photo_dir
from feedback.render import slips
from feedback.render.fonts import PosterFonts
from feedback.web.auth import login_required
from feedback.web.pages import found, scope
from feedback.web.staff_forms import ImportConfirmForm, ImportUploadForm, StaffOpinionForm

bp = Blueprint("imports", __name__, url_prefix="/admin")

_UPLOAD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
UPLOAD_MAX_AGE = 24 * 3600
PREVIEW_ROWS = 500  # rows listed by the preview of a long file; all of them are still checked


def _station_choices(form) -> None:
    form.station.choices = [
        SelectChoice(s["id"], f"{s['town']} · {s['name']}") for s in scope().stations(get_db())
    ]


@bp.route("/opinions/new", methods=["GET", "POST"])
@login_required
def enter_opinion():
    """One opinion from a paper form, a market stall or a visit, typed in by staff."""
    form = StaffOpinionForm()
    _station_choices(form)
    form.category.choices = [SelectChoice("", "其他(不确定时选这个)")] + [
        SelectChoice(code, label) for code, label in categories()
    ]
    if request.method == "POST" and not form.category.data:
        form.category.data = "other"
    if form.validate_on_submit():
        db = get_db()
        station = found(scope().station(db, form.station.data))
        try:
            moment = imports.when(form.created_at.data, clock.now())
        except imports.DateProblem as problem:
            form.created_at.errors = [problem.problem.zh]
        else:
            new = opinions.NewOpinion(
                station_id=station["id"],
                body=form.body.data,
                category=form.category.data,
                name=form.name.data or None,
                phone=form.phone.data or None,
                consent=bool(form.consent.data),
                sms=bool(form.sms.data),
                channel=form.channel.data,
                collected_by=form.collected_by.data or None,
                created_at=clock.stamp(moment),
            )
            stored = opinions.create(db, photo_dir(), new, entered_by=g.user["username"])
            return redirect(url_for("imports.entered", opinion_id=stored.opinion["id"]), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("admin/opinion_new.html", form=form), status


@bp.get("/opinions/<int:opinion_id>/entered")
@login_required
def entered(opinion_id: int):
    db = get_db()
    opinion = found(scope().opinion(db, opinion_id))
    station = db["stations"].get(opinion["station_id"])
    url = slips.status_url(current_app.config["FEEDBACK_BASE_URL"], opinion["receipt"])
    return render_template(
        "admin/opinion_entered.html", opinion=opinion, station=station, status_url=url
    )


@bp.get("/opinions/<int:opinion_id>/slip.pdf")
@login_required
def opinion_slip(opinion_id: int):
    db = get_db()
    opinion = found(scope().opinion(db, opinion_id))
    return _slips_response([opinion], f"slip-{opinion['receipt']}.pdf")


@bp.route("/imports/new", methods=["GET", "POST"])
@login_required
def upload():
    """Step 1: choose the file; every row and every problem is shown before anything is stored."""
    form = ImportUploadForm()
    _station_choices(form)
    if form.validate_on_submit():
        data = form.file.data.read(imports.tabular.MAX_FILE_BYTES + 1)
        token = _keep_upload(data)
        confirm = ImportConfirmForm(
            formdata=None,
            station=form.station.data,
            channel=form.channel.data,
            collected_by=form.collected_by.data,
            upload=token,
        )
        _station_choices(confirm)
        return _preview(confirm, form.file.data.filename or "upload.csv")
    status = 400 if request.method == "POST" else 200
    return render_template("admin/import_new.html", form=form), status


@bp.post("/imports/confirm")
@login_required
def confirm_import():
    """Step 2: store every row, or none."""
    form = ImportConfirmForm()
    _station_choices(form)
    filename = request.form.get("filename", "upload.csv")[:200]
    if not form.validate_on_submit() or not _UPLOAD_TOKEN.match(form.upload.data or ""):
        return redirect(url_for("imports.upload"), 303)
    return _preview(form, filename, store=True)


def _preview(form: ImportConfirmForm, filename: str, store: bool = False):
    db = get_db()
    station = found(scope().station(db, form.station.data))
    path = _upload_path(form.upload.data)
    if not path.exists():
        return render_template(
            "admin/import_new.html",
            form=ImportUploadForm(formdata=None),
            error="上传的文件已过期,请重新选择",
        ), 400
    data = path.read_bytes()
    try:
        rows = imports.check(
            filename, data, station["id"], current_app.config["FEEDBACK_CATEGORIES"], clock.now()
        )
    except imports.ImportRefused as error:
        upload_form = ImportUploadForm(formdata=None)
        _station_choices(upload_form)
        return render_template(
            "admin/import_new.html", form=upload_form, error=f"{filename}:{error.zh}"
        ), 400
    digest = imports.file_digest(data)
    earlier = imports.already_imported(db, station["id"], digest)
    repeated = {e.line: e.message for e in imports.duplicate_rows(db, station["id"], rows)}
    bad = any(row.problems for row in rows)
    duplicate = bool(earlier or repeated) and not form.allow_duplicate.data
    if store and not bad and not duplicate:
        import_id, _done = imports.store(
            db,
            station["id"],
            filename,
            digest,
            rows,
            form.channel.data,
            form.collected_by.data or None,
            g.user["username"],
        )
        path.unlink(missing_ok=True)
        return redirect(url_for("imports.import_view", import_id=import_id), 303)
    return render_template(
        "admin/import_preview.html",
        form=form,
        rows=rows,
        shown=_shown(rows, repeated),
        filename=filename,
        station=station,
        bad=bad,
        earlier=earlier,
        repeated=repeated,
        duplicate=duplicate,
        categories=dict(categories()),
    ), (400 if store else 200)


def _shown(rows: list[imports.Parsed], repeated: dict[int, str]) -> list[imports.Parsed]:
    """The rows the preview lists: all of a usual file, at most PREVIEW_ROWS of a long one
    (100,000 table rows would be a page no browser opens), rows needing a fix first."""
    if len(rows) <= PREVIEW_ROWS:
        return rows
    flagged = [row for row in rows if row.problems or row.line in repeated][:PREVIEW_ROWS]
    lines = {row.line for row in flagged}
    rest = (row for row in rows if row.line not in lines)
    return sorted(flagged + list(islice(rest, PREVIEW_ROWS - len(flagged))), key=lambda r: r.line)


def _upload_path(token: str) -> Path:
    if not _UPLOAD_TOKEN.match(token or ""):
        abort(400)
    return Path(current_app.instance_path) / "uploads" / f"{token}.bin"


def _keep_upload(data: bytes) -> str:
    """Hold an uploaded file between preview and confirmation, under a random name."""
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.bin"):
        if old.stat().st_mtime < time.time() - UPLOAD_MAX_AGE:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    return token


@bp.get("/imports/<int:import_id>")
@login_required
def import_view(import_id: int):
    db = get_db()
    record = found(scope().opinion_import(db, import_id))
    rows = list(db.query("select * from opinions where import_id = ? order by id", [import_id]))
    station = db["stations"].get(record["station_id"])
    return render_template("admin/import_view.html", record=record, rows=rows, station=station)


@bp.get("/imports/<int:import_id>/slips.pdf")
@login_required
def import_slips(import_id: int):
    db = get_db()
    found(scope().opinion_import(db, import_id))
    rows = list(db.query("select * from opinions where import_id = ? order by id", [import_id]))
    return _slips_response(rows, f"slips-import-{import_id}.pdf")


def _slips_response(rows: list[dict], filename: str) -> Response:
    size = request.args.get("size", "a6")
    if size not in slips.SIZES:
        abort(404)
    db = get_db()
    fonts = PosterFonts.from_config(current_app.config)
    pairs = ((row, db["stations"].get(row["station_id"])) for row in rows)
    pdf = slips.slips_pdf(pairs, current_app.config["FEEDBACK_BASE_URL"], fonts, size).bytes()
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
