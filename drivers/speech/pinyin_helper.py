"""Helper process: pypinyin's phrase-aware reading of counter names, printed as JSON.

    python -m drivers.speech.pinyin_helper 婚姻登记处 重庆银行
    {"婚姻登记处": ["hun1", "yin1", "deng1", "ji4", "chu4"], "重庆银行": [...]}

Run by `drivers.speech.pinyin.NameReadings`, so that pypinyin's 55 MB of dictionaries
live only as long as this process.
"""

from __future__ import annotations

import json
import sys

from drivers.speech.pinyin import pypinyin_syllables


def main(argv: list[str] | None = None) -> int:
    runs = sys.argv[1:] if argv is None else argv
    print(json.dumps({run: pypinyin_syllables(run) for run in runs}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
