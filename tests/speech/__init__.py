"""Spoken calls: text, pinyin, synthesis, playback, the announcer."""
