"""Settings of the benchmark servers: the production settings plus one benchmark-only view.

`bench.urls` adds the minimal signed-in view that the poll throughput is compared with, so it
never reaches the production URLconf. `BENCH_STATIC_ROOT` keeps the collected static files of a
run in its own temporary directory.
"""

from config.env import env_str
from config.settings import *  # noqa: F403
from config.settings import STATIC_ROOT as PRODUCTION_STATIC_ROOT

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = env_str("BENCH_STATIC_ROOT") or PRODUCTION_STATIC_ROOT
