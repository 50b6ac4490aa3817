"""码上提 — QR-code citizen feedback intake for town people's-congress offices."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from feedback import config, db, paths
from feedback.schema import CHANNELS


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application; nothing happens at import time."""
    app = Flask(
        __name__,
        instance_path=config.instance_path(),
        instance_relative_config=True,
        template_folder=str(paths.templates_dir()),
    )
    config.load(app, test_config)
    hops = app.config["FEEDBACK_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    db.init_app(app)

    from feedback import (
        admin,
        auth,
        cli,
        handling,
        intake,
        office,
        privacy,
        public,
        report_pages,
        station_pages,
        triage,
    )  # fmt: skip

    app.register_blueprint(public.bp)
    app.register_blueprint(intake.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(triage.bp)
    app.register_blueprint(station_pages.bp)
    app.register_blueprint(handling.bp)
    app.register_blueprint(office.bp)
    app.register_blueprint(report_pages.bp)
    app.add_template_filter(privacy.mask_phone, "masked")
    app.jinja_env.globals["channels"] = CHANNELS
    # Every form is CSRF-checked; the villager's pages check in the form itself so that a
    # stale token re-renders the form with what was typed instead of a bare error.
    csrf = CSRFProtect(app)
    csrf.exempt(intake.bp)
    cli.init_app(app)
    return app
