pytest_plugins = ["tests.support.web"]
