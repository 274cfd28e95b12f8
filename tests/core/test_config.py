import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefing.core.config import ConfigError, load_settings
from tests.support.cli import run


def test_defaults_are_embedded_sqlite_under_var(tmp_path: Path) -> None:
    settings = load_settings({"BRIEFING_DATA_DIR": str(tmp_path)})
    assert settings.embedded
    assert settings.database_url == f"sqlite:///{tmp_path / 'briefing.db'}"
    assert settings.summary_sentences == 3


def test_generated_secret_key_survives_restarts(tmp_path: Path) -> None:
    first = load_settings({"BRIEFING_DATA_DIR": str(tmp_path)}).secret_key
    second = load_settings({"BRIEFING_DATA_DIR": str(tmp_path)}).secret_key
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(("name", "value"), [
    ("BRIEFING_SUMMARY_SENTENCES", "many"),
    ("BRIEFING_SUMMARY_SENTENCES", "0"),
    ("BRIEFING_SUMMARY_ALGORITHM", "gpt"),
    ("BRIEFING_ALLOW_PRIVATE_URLS", "perhaps"),
    ("BRIEFING_DATABASE_URL", "mysql://x"),
    ("BRIEFING_BROKER_URL", "http://redis"),
    ("BRIEFING_SECRET_KEY", "short"),
    ("BRIEFING_FETCH_TIMEOUT", "-1"),
    ("BRIEFING_LOG_LEVEL", "LOUD"),
])
def test_bad_value_names_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({"BRIEFING_DATA_DIR": str(tmp_path), name: value})


def test_dotenv_file_is_read_and_environment_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "BRIEFING_SUMMARY_SENTENCES=5\nBRIEFING_DATA_DIR=./data\nBRIEFING_LOG_LEVEL=DEBUG\n")
    monkeypatch.setenv("BRIEFING_LOG_LEVEL", "WARNING")
    settings = load_settings()
    assert settings.summary_sentences == 5
    assert settings.log_level == "WARNING"
    assert settings.data_dir == Path("./data")


def test_a_misspelled_setting_stops_start_up_naming_the_right_one(tmp_path: Path) -> None:
    # BRIEFING_SMTP_HSOT used to be ignored: mail went to the outbox without a word.
    with pytest.raises(ConfigError, match="HSOT is not a setting; did you mean BRIEFING_SMTP_HOST"):
        load_settings({"BRIEFING_DATA_DIR": str(tmp_path), "BRIEFING_SMTP_HSOT": "mail.example"})


def test_a_misspelled_setting_in_the_dotenv_file_is_refused_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("BRIEFING_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("BRIEFING_DATABSE_URL=sqlite:///elsewhere.db\n")
    with pytest.raises(ConfigError, match="did you mean BRIEFING_DATABASE_URL"):
        load_settings()


def test_an_unknown_name_like_no_setting_says_where_the_list_is(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"BRIEFING_COLOUR is not a setting .*README"):
        load_settings({"BRIEFING_DATA_DIR": str(tmp_path), "BRIEFING_COLOUR": "blue"})


def test_the_test_suites_own_names_are_not_taken_for_typos(tmp_path: Path) -> None:
    load_settings({"BRIEFING_DATA_DIR": str(tmp_path), "BRIEFING_REQUIRE_SERVICES": "1",
                   "BRIEFING_TEST_POSTGRES_URL": "postgresql+psycopg://postgres@db/postgres"})


def test_loading_settings_writes_no_secret_key_until_one_is_needed(tmp_path: Path) -> None:
    settings = load_settings({"BRIEFING_DATA_DIR": str(tmp_path / "var")})
    assert not (tmp_path / "var").exists()
    key = settings.secret_key
    assert (tmp_path / "var" / "secret_key").read_text() == key


def test_a_configured_secret_key_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = load_settings({"BRIEFING_DATA_DIR": str(tmp_path / "var"),
                              "BRIEFING_SECRET_KEY": "x" * 40})
    assert settings.secret_key == "x" * 40
    assert not (tmp_path / "var").exists()
    assert "x" * 40 not in repr(settings)


def test_a_command_with_a_misspelled_setting_stops_in_one_line(
        cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFING_SMTP_HSOT", "mail.example.org")
    output = run(cli, "lists", "list", code=1)
    assert output.strip() == ("error: BRIEFING_SMTP_HSOT is not a setting; "
                              "did you mean BRIEFING_SMTP_HOST?")
