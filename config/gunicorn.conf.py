"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every value can be overridden through the environment variable named beside it.
"""

import os

wsgi_app = "config.wsgi"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads let a worker serve polls while another request waits for Sendcloud, whose calls
# end after SENDCLOUD_DEADLINE seconds.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Restart workers now and then, so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200

# The dashboard rejects longer addresses itself with a message (RequestLimitsMiddleware).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Drop request headers whose names contain an underscore: in the WSGI environ they would look
# the same as the hyphenated header that the single sign-on proxy sets.
header_map = "drop"

# Addresses whose X-Forwarded-Proto and X-Forwarded-For gunicorn believes. Django reads the
# scheme through DASHBOARD_PROXY_SSL_HEADER and the client address through
# DASHBOARD_TRUSTED_PROXIES, so gunicorn trusts only the local host by default.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Recent gunicorn releases (27 here) open a control socket at one fixed path per user, so a
# second instance on the machine would take it over. The dashboard does not use it.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The query string is left out of the access log: it may hold an order number.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
