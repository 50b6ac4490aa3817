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
