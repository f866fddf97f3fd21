pytest_plugins = ["tests.simulator_fixtures"]
