"""``gui``: arguments typed on the command line win over the feed saved in the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.cli import build_parser, main, resolve_gui_feed
from desktop_app.config import Settings, save_settings
from desktop_app.errors import ConfigurationError
from desktop_app.feeds.basket import find_resource
from desktop_app.feeds.spec import FeedSpec

SAMPLE = find_resource("sample_replay.jsonl")


def resolve(saved: str, *argv: str) -> FeedSpec:
    return resolve_gui_feed(saved, build_parser().parse_args(["gui", *argv]))


def test_speed_alone_sets_the_saved_demo_clock() -> None:
    assert resolve("demo", "--speed", "60") == FeedSpec("demo", None, 60.0)
    assert resolve("demo", "--speed", "max") == FeedSpec("demo", None, None)
    assert resolve("demo") == FeedSpec("demo", None, 1.0)


def test_explicit_feed_wins_over_the_saved_one() -> None:
    assert resolve("ssi", "--feed", "demo", "--speed", "5") == FeedSpec("demo", None, 5.0)
    assert resolve("demo", "--feed", "replay", "--replay", str(SAMPLE), "--speed", "2") == \
        FeedSpec("replay", SAMPLE, 2.0)
    assert resolve("ssi") == FeedSpec("ssi", None, 1.0)


def test_speed_with_ssi_live_is_refused_not_ignored() -> None:
    with pytest.raises(ConfigurationError, match=r"--speed applies to the demo and replay feeds \(the saved feed is SSI live\)"):
        resolve("ssi", "--speed", "60")
    with pytest.raises(ConfigurationError, match="--speed applies to the demo and replay feeds"):
        resolve("demo", "--feed", "ssi", "--speed", "60")


def test_saved_replay_takes_the_file_from_the_command_line() -> None:
    assert resolve("replay", "--replay", str(SAMPLE), "--speed", "10") == FeedSpec("replay", SAMPLE, 10.0)
    with pytest.raises(ConfigurationError, match="no file was given"):
        resolve("replay", "--speed", "10")


def test_main_hands_the_resolved_feed_to_the_gui(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import desktop_app.ui.app as app

    monkeypatch.setenv("STOCK_TRACKER_HOME", str(tmp_path))
    for name in ("STOCK_TRACKER_DATABASE_URL", "SSI_CONSUMER_ID", "SSI_CONSUMER_SECRET"):
        monkeypatch.delenv(name, raising=False)
    started: list[FeedSpec] = []
    monkeypatch.setattr(app, "run_gui", lambda settings, feed, **_: started.append(feed) or 0)
    assert main(["gui", "--speed", "60"]) == 0
    assert started == [FeedSpec("demo", None, 60.0)]

    save_settings(Settings(home=tmp_path, feed="ssi"))
    assert main(["gui", "--speed", "60"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--speed applies to the demo and replay feeds" in err
    assert len(started) == 1
