"""A bug inside the parser is counted and logged with its traceback, apart from rejections,
and the feed goes on."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from desktop_app.config import Settings
from desktop_app.feeds import messages
from desktop_app.feeds.spec import FeedSpec
from desktop_app.services.pipeline import Pipeline
from tests.support.record_tapes import envelope, fetch_volumes, write_tape


async def test_a_parser_bug_is_counted_apart_logged_with_its_traceback_and_the_feed_goes_on(
    db, tmp_path: Path, caplog, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(content: dict) -> tuple:
        raise ZeroDivisionError("a bug in the R parser")

    monkeypatch.setitem(messages._PARSERS, "R", broken)
    tape = tmp_path / "tape.jsonl"
    write_tape(tape, 100, per_second=10, bad_lines=[envelope("R", {"Symbol": "SSI"})] * 3 + ["not json"])
    pipeline = Pipeline(Settings(home=tmp_path / "home"), FeedSpec("replay", tape, None), db)
    with caplog.at_level(logging.WARNING, logger="desktop_app.services.pipeline"):
        await pipeline.start()
        await pipeline.wait_finished()
        await pipeline.stop()
    assert pipeline.counters.rejected_by_kind == {"parser_failure": 3, "not_json": 1}
    failures = [r for r in caplog.records if "the parser failed" in r.getMessage()]
    assert len(failures) == 1 and failures[0].levelno == logging.ERROR
    assert failures[0].exc_info is not None and failures[0].exc_info[0] is messages.ParserFailure
    assert "ZeroDivisionError" in caplog.text  # the cause's traceback is in the log
    rejected = [r for r in caplog.records if "rejected a feed message" in r.getMessage()]
    assert len(rejected) == 1 and rejected[0].levelno == logging.WARNING
    assert await fetch_volumes(db.dsn) == list(range(1, 101))  # every print after the bug still landed
