"""Unit tests of the building blocks: sliding window, parse modes, stats, tokens, CLI."""

from __future__ import annotations

import pytest

from emulator.__main__ import build_parser, config_from_args
from emulator.bots import parse_token
from emulator.errors import ApiError
from emulator.formatting import apply_parse_mode, utf16_len
from emulator.ratelimit import SlidingWindow, retry_after_seconds
from emulator.stats import peak_in_window


def test_sliding_window_is_half_open():
    window = SlidingWindow()
    for t in (0.0, 0.5):
        assert window.retry_after(t, limit=2, window=1.0) == 0
        window.admit(t)
    assert window.retry_after(0.9, limit=2, window=1.0) == pytest.approx(0.1)
    assert window.retry_after(1.0, limit=2, window=1.0) == 0  # t=0 left (now-1, now]


def test_sliding_window_multi_slot_requests():
    window = SlidingWindow()
    window.admit(0.0, 3)
    window.admit(0.5, 1)
    assert window.retry_after(0.6, limit=5, window=1.0, count=2) == pytest.approx(0.4)
    assert window.retry_after(0.6, limit=5, window=1.0, count=1) == 0


def test_retry_after_is_a_positive_integer_ceiling():
    assert retry_after_seconds(0.01) == 1
    assert retry_after_seconds(1.0) == 1
    assert retry_after_seconds(1.2) == 2
    assert retry_after_seconds(57.9) == 58


def test_peak_in_window_matches_the_limiter_definition():
    assert peak_in_window([0.0, 0.5, 1.0, 1.2], 1.0) == 3
    assert peak_in_window([], 1.0) == 0


def test_utf16_length_counts_surrogate_pairs():
    assert utf16_len("abc") == 3
    assert utf16_len("é") == 1
    assert utf16_len("😀") == 2


def test_html_entities_use_utf16_offsets():
    text, entities = apply_parse_mode(
        "😀 <b>hi</b> &amp; <a href='https://x.io'>x</a>", "HTML", None
    )
    assert text == "😀 hi & x"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 2},
        {"type": "text_link", "offset": 8, "length": 1, "url": "https://x.io"},
    ]


def test_html_nested_pre_code_and_spoiler():
    text, entities = apply_parse_mode(
        '<pre><code class="language-py">x = 1</code></pre><span class="tg-spoiler">s</span>',
        "html",
        None,
    )
    assert text == "x = 1s"
    assert entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "py"},
        {"type": "spoiler", "offset": 5, "length": 1},
    ]


def test_markdown_v2_entities_and_escapes():
    text, entities = apply_parse_mode(
        r"*bold _it_* __u__ ~s~ ||sp|| `c\`d` [l](https://e.com/a\)b) 1\.5\!", "MarkdownV2", None
    )
    assert text == "bold it u s sp c`d l 1.5!"
    kinds = [(e["type"], e["offset"], e["length"]) for e in entities]
    assert kinds == [
        ("bold", 0, 7),
        ("italic", 5, 2),
        ("underline", 8, 1),
        ("strikethrough", 10, 1),
        ("spoiler", 12, 2),
        ("code", 15, 3),
        ("text_link", 19, 1),
    ]
    assert entities[-1]["url"] == "https://e.com/a)b"


def test_markdown_v2_blockquote_and_pre():
    text, entities = apply_parse_mode(
        ">quoted\n>lines\n```python\nprint()\n```", "MarkdownV2", None
    )
    assert text == "quoted\nlines\nprint()\n"
    assert entities[0] == {"type": "blockquote", "offset": 0, "length": 12}
    assert entities[1]["type"] == "pre" and entities[1]["language"] == "python"


@pytest.mark.parametrize("bad", ["a-b", "(x)", "x!", "[open", "![e](https://not-emoji)", "`open"])
def test_markdown_v2_rejects_unescaped_or_unclosed(bad):
    with pytest.raises(ApiError, match="can't parse entities"):
        apply_parse_mode(bad, "MarkdownV2", None)


def test_explicit_entities_win_over_parse_mode():
    entities = [{"type": "bold", "offset": 0, "length": 1}]
    assert apply_parse_mode("<b>", "HTML", entities) == ("<b>", entities)
    with pytest.raises(ApiError, match="can't parse entities JSON object"):
        apply_parse_mode("x", None, [{"type": "bold"}])


def test_token_shapes():
    assert parse_token("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1") == 123456
    assert parse_token("123456:short") is None
    assert parse_token("abc:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1") is None


def test_cli_defaults_and_options():
    defaults = config_from_args(build_parser().parse_args([]))
    assert (defaults.users, defaults.global_rate, defaults.paid_rate) == (500, 30, 1000)
    assert defaults.greet is False and defaults.click_rate == 0.0
    args = build_parser().parse_args(
        [
            "--port",
            "9000",
            "--users",
            "50",
            "--blocked",
            "5",
            "--deactivated",
            "2",
            "--greet",
            "--click-rate",
            "0.25",
            "--rate",
            "10",
            "--paid-rate",
            "100",
            "--reject-token",
            "1:x",
        ]
    )
    config = config_from_args(args)
    assert args.port == 9000 and args.host == "127.0.0.1"
    assert (config.users, config.blocked, config.deactivated) == (50, 5, 2)
    assert config.greet and config.click_rate == 0.25
    assert (config.global_rate, config.paid_rate) == (10, 100)
    assert config.rejected_tokens == {"1:x"}
