"""The deputy's suggestions on their phone (/admin/deputy/suggestions): those they lead (领衔)
or co-sign (附议); proposing one from the pending opinions they may read (it becomes a 待交办
suggestion of their town, which the clerk hands over as usual); and, once it is closed, the
lead deputy's verdict on the answer (代表意见征询表). Also their own record of work of a year
(/admin/deputy/record, the 述职 summary the office prints). The rules are
feedback.deputy_suggestions' and feedback.deputy_record's; the confinement of deputies'
accounts is deputy_desk's."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from feedback import clock, deputies, deputy_record, deputy_suggestions, handling_reads, merging
from feedback.context import categories, get_db
from feedback.labels import RATINGS, RESULT_CLASSES
from feedback.render import duty_report
from feedback.text import clean_line, clean_text
from feedback.web.deputy_desk import deputy_required
from feedback.web.pages import found, scope

bp = Blueprint("deputy_suggestions", __name__, url_prefix="/admin/deputy")


class ProposalForm(FlaskForm):
    """Title and text may be left empty: they are drafted from the ticked opinions as the
    clerk's merge drafts them (a neutral title of places and category, never a villager's
    words)."""

    title = StringField(
        "建议标题(可不填,按村和类别自动生成)",
        filters=[clean_line],
        validators=[Length(max=60, message="标题最多 60 字")],
    )
    body = TextAreaField(
        "建议内容(可不填,自动列出所选意见)",
        filters=[clean_text],
        validators=[Length(max=4000, message="最多 4000 字")],
    )
    category = SelectField("类别", validate_choice=False)


class VerdictForm(FlaskForm):
    verdict = RadioField("您对承办单位的答复", choices=[SelectChoice(r) for r in RATINGS])
    comment = TextAreaField(
        "代表意见(不满意时必填)",
        filters=[clean_text],
        validators=[Length(max=deputy_suggestions.COMMENT_MAX, message="最多 500 字")],
    )


@bp.get("/suggestions/")
@deputy_required
def index():
    return render_template(
        "deputy/suggestions.html", rows=deputy_suggestions.signed(get_db(), scope())
    )


def _proposal_form() -> ProposalForm:
    form = ProposalForm()
    form.category.choices = [SelectChoice("", "按所选意见")] + [
        SelectChoice(code, label) for code, label in categories()
    ]
    return form


def _ids() -> list[int]:
    values = request.form.getlist("ids")
    return [int(v) for v in values if v.isascii() and v.isdecimal() and len(v) < 18]


def _cosigners(choices: list[dict]) -> list[str]:
    """The ticked co-signers' codes; a code longer than any code is not looked up."""
    return [code for code in request.form.getlist("cosign")[: len(choices) + 1] if len(code) <= 40]


@bp.route("/suggestions/new", methods=["GET", "POST"])
@deputy_required
def propose():
    """Tick opinions, optionally write the title and text, and send it to the town office."""
    db = get_db()
    form = _proposal_form()
    rows = deputy_suggestions.proposable(db, scope())
    choices = deputy_suggestions.cosigner_choices(db, scope())
    ticked = _ids() if request.method == "POST" else request.args.getlist("ids", type=int)
    cosigners = _cosigners(choices) if request.method == "POST" else []
    error = None
    if form.validate_on_submit():
        chosen = [row for row in rows if row["id"] in ticked]
        if not ticked:
            error = "请至少勾选一条意见,再点“提出建议”"
        else:
            try:
                fields = _fields(form, chosen, ticked)
                suggestion_id = deputy_suggestions.propose(
                    db,
                    scope(),
                    ticked,
                    fields,
                    current_app.config["FEEDBACK_TIER_DAYS"],
                    cosigners,
                )
            except deputy_suggestions.Refused as refused:
                error = str(refused)
            else:
                return redirect(url_for(".show", suggestion_id=suggestion_id, new=1), 303)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "deputy/suggestion_new.html",
        form=form,
        rows=rows,
        ticked=set(ticked),
        choices=choices,
        cosigners=set(cosigners),
        error=error,
        categories=dict(categories()),
    ), status


def _fields(form: ProposalForm, chosen: list[dict], ticked: list[int]) -> dict:
    """The suggestion's text: what the deputy wrote, the rest drafted from the opinions."""
    seen = {row["id"] for row in chosen}
    gone = [i for i in ticked if i not in seen]
    if gone:
        raise deputy_suggestions.gone_away(gone[0])
    draft = merging.draft(chosen, dict(categories()))
    return {
        "title": form.title.data or draft["title"],
        "body": form.body.data or draft["body"],
        "category": form.category.data or draft["category"],
    }


def _page(row: dict, form: VerdictForm | None = None, error: str | None = None, status=200):
    db = get_db()
    return render_template(
        "deputy/suggestion.html",
        suggestion=row,
        signers=deputy_suggestions.signers(db, row["id"]),
        verdict=deputy_suggestions.verdict_of(db, row),
        timeline=handling_reads.villager_steps(db, row["id"]),
        form=form or VerdictForm(formdata=None),
        error=error,
        result_classes=RESULT_CLASSES,
        categories=dict(categories()),
        created=request.args.get("new") == "1",
    ), status


@bp.get("/suggestions/<int:suggestion_id>")
@deputy_required
def show(suggestion_id: int):
    return _page(found(deputy_suggestions.signed_one(get_db(), scope(), suggestion_id)))


@bp.post("/suggestions/<int:suggestion_id>/verdict")
@deputy_required
def verdict(suggestion_id: int):
    """The lead deputy's verdict: a mistake keeps what was typed; a second one is a 409."""
    db = get_db()
    row = found(deputy_suggestions.signed_one(db, scope(), suggestion_id))
    form = VerdictForm()
    if not form.validate_on_submit():
        return _page(row, form, "请按红字提示修改,意见还没有保存", 400)
    try:
        deputy_suggestions.give_verdict(
            db, scope(), suggestion_id, form.verdict.data or "", form.comment.data or ""
        )
    except deputy_suggestions.Missing:
        abort(404)
    except deputy_suggestions.Stale as stale:
        return _page(row, form, str(stale), 409)
    except deputy_suggestions.Refused as refused:
        return _page(row, form, str(refused), 400)
    return redirect(url_for(".show", suggestion_id=suggestion_id), 303)


@bp.get("/record")
@deputy_required
def record():
    """The deputy's own 述职 summary of a year (this one unless ?year=), as the office prints it."""
    me = deputies.by_id(get_db(), scope().deputy)
    try:
        year = deputy_record.check_year(request.args.get("year") or clock.now().year)
    except deputy_record.RecordError as error:
        return render_template("deputy/message.html", message=error.zh), 400
    row = deputy_record.of_deputy(
        get_db(), me["code"], year, current_app.config["FEEDBACK_DUTY_POINTS"]
    )
    return render_template(
        "reports/duty_report.html",
        record=row,
        title=duty_report.title(row),
        lines=duty_report.summary_lines(row),
        kinds=duty_report.DUTY_ACTIVITIES,
        result_classes=duty_report.RESULT_CLASSES,
        generated=clock.display(clock.stamp()),
    )
