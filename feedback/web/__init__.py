"""The web side: one blueprint per thing it handles, the forms, and app-wide hooks.

Views parse the request, call the domain and render; they decide nothing themselves.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from feedback import audit, labels, privacy


def init_app(app: Flask) -> None:
    from feedback.web import (
        additions,
        auth,
        board,
        department_desk,
        departments,
        deputies,
        deputy_desk,
        deputy_record,
        deputy_suggestions,
        elderly,
        groups,
        handling,
        home,
        hooks,
        imports,
        opinions,
        public,
        reports,
        return_visits,
        sms,
        stations,
        suggestions,
        supporters,
        users,
    )

    # Before any route is added: every <int:...> of every blueprint is bounded to SQLite's range.
    app.url_map.converters["int"] = hooks.RowIdConverter
    blueprints = (
        hooks,
        public,
        auth,
        home,
        reports,
        imports,
        opinions,
        groups,
        stations,
        suggestions,
        users,
        departments,
        handling,
        return_visits,
        sms,
        department_desk,  # after auth: its confinement of departments reads g.user
        deputies,
        deputy_desk,  # after auth: the same confinement for deputies' accounts
        deputy_suggestions,
        deputy_record,
        elderly,
        board,
        additions,
        supporters,
    )
    for module in blueprints:
        app.register_blueprint(module.bp)
    app.add_template_filter(privacy.mask_phone, "masked")
    app.add_template_filter(audit.describe, "audit")
    app.jinja_env.globals["channels"] = labels.CHANNELS
    app.jinja_env.globals["csp_nonce"] = hooks.csp_nonce
    # Every form is CSRF-checked; the villager's pages check in the form itself so that a
    # stale token re-renders the form with what was typed instead of a bare error.
    csrf = CSRFProtect(app)
    csrf.exempt(public.bp)
    csrf.exempt(sms.replies)  # pushed by the SMS provider, guarded by a secret address
    csrf.exempt(board.bp)
    csrf.exempt(additions.bp)
