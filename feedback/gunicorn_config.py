"""gunicorn settings for `feedback serve`."""

import multiprocessing

workers = max(2, min(multiprocessing.cpu_count() * 2 + 1, 9))
# Threads let a worker keep serving while a villager on 3G trickles an upload in.
worker_class = "gthread"
threads = 4
timeout = 30
graceful_timeout = 20
keepalive = 5
# Uploads of three shrunk photos over 3G can take a while; let slow clients finish.
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
# One shared control socket in ~/.gunicorn would clash between several instances (and tests).
control_socket_disable = True


def post_worker_init(worker) -> None:
    """Warm every town's similarity index in a background thread as the worker starts.

    Loaded from the stored copies in well under a second, or built once by whichever worker
    gets there first (~6 s for a town of 190,000 opinions), while the worker already serves:
    a clerk's first opinion page does not wait for it. Apps without a FEEDBACK_DATABASE
    (bench/floor_app.py runs with these settings too) are left alone.

    It also starts the worker's background embedder (feedback.embedder.Embedder): opinions get
    their sentence embeddings after they are stored, never while the villager waits, by one
    worker at a time (a lock file beside the database) at the lowest CPU priority.
    """
    from feedback import embedder, similarity_index

    similarity_index.warm_in_background(worker.wsgi)
    embedder.embed_in_background(worker.wsgi)
