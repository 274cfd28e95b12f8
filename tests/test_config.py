from pathlib import Path

import pytest

from briefing.config import ConfigError, load_settings


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
