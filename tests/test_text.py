"""The one sentence splitter (core.text.sentences_of) and its two options."""

from __future__ import annotations

from core.text import sentences_of


def test_sentences_end_at_stops_quotes_glued_capitals_and_line_breaks() -> None:
    text = 'He said "no." Then he left! Did he?\nMenu\n\nThe plant restarted on Friday.The ministry agreed.'
    assert sentences_of(text) == [
        'He said "no."', "Then he left!", "Did he?", "Menu", "The plant restarted on Friday.", "The ministry agreed.",
    ]
    assert sentences_of("  \n \n") == []


def test_cjk_full_stops_end_sentences_unless_turned_off() -> None:
    text = "中国限制出口。美国回应！ Next sentence here."
    assert sentences_of(text) == ["中国限制出口。", "美国回应！", "Next sentence here."]
    # copy alignment's stored sentences were cut without them
    assert sentences_of(text, cjk_stops=False) == [text]


def test_capital_start_keeps_abbreviations_whole() -> None:
    text = "Officials in the U.S. said exports fell. 3 plants closed. (Updated.) Prices rose, e.g. for magnets."
    assert sentences_of(text) == ["Officials in the U.S.", "said exports fell.", "3 plants closed.", "(Updated.)",
                                  "Prices rose, e.g.", "for magnets."]
    assert sentences_of(text, capital_start=True) == [
        "Officials in the U.S. said exports fell.", "3 plants closed.", "(Updated.)", "Prices rose, e.g. for magnets.",
    ]
    # a line break ends a sentence whatever follows
    assert sentences_of("one line.\nanother line", capital_start=True) == ["one line.", "another line"]
