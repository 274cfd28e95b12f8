pytest_plugins = [
    "tests.support.web",
    "tests.support.services",
    "tests.support.databases",
]
