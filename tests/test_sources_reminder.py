from daily_report.sources.text import strip_reminders


def test_closed_reminder_block_is_removed() -> None:
    assert strip_reminders("fix it<system-reminder>todo list changed</system-reminder> now") == "fix it now"


def test_prompt_that_only_mentions_the_tag_keeps_its_text() -> None:
    text = "why does the parser drop everything after <system-reminder> in my prompt?"
    assert strip_reminders(text) == text


def test_unclosed_block_at_the_start_is_injected_text_cut_short() -> None:
    assert strip_reminders("<system-reminder>cut short") == ""
