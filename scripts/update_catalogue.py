"""Extract the messages from bot/ and bring the catalogues up to date, then compile them (Babel).

    python scripts/update_catalogue.py            # extract, merge into bot/locale/<lang>/LC_MESSAGES/bot.po, compile
    python scripts/update_catalogue.py --compile  # compile only, after editing a .po

New messages arrive in the .po with an empty translation: fill it in (tests/test_translations.py fails until then),
and run this again so that the committed .mo matches.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "bot" / "locale"
LANGUAGES = ("zh",)  # English is the source text


def extract(pot: Path) -> None:
    subprocess.run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(pot),
            "bot",
        ],
        cwd=ROOT,
        check=True,
    )


def update(pot: Path) -> None:
    for language in LANGUAGES:
        subprocess.run(
            [
                "pybabel",
                "-q",
                "update",
                "-i",
                str(pot),
                "-d",
                str(LOCALE),
                "-D",
                "bot",
                "-l",
                language,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
                "-w",
                "120",
            ],
            cwd=ROOT,
            check=True,
        )


def compile_all() -> None:
    subprocess.run(["pybabel", "-q", "compile", "-d", str(LOCALE), "-D", "bot", "--statistics"], cwd=ROOT, check=True)


def main(argv: list[str]) -> int:
    if "--compile" not in argv:
        with tempfile.TemporaryDirectory() as work:
            pot = Path(work) / "bot.pot"
            extract(pot)
            update(pot)
    compile_all()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
