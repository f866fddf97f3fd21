pytest_plugins = [
    "tests.simulator_fixtures",
    "tests.redis_fixtures",
    "tests.dashboard_fixtures",
    "tests.browser_fixtures",
    "tests.queue_fixtures",
    "tests.security_fixtures",
    "tests.postgres_fixtures",
]
