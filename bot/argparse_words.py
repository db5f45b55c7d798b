"""argparse's own words (`usage:`, `options`, its errors) in the language in force.

argparse translates through gettext's domain "argparse" (`from gettext import gettext as _, ngettext` at its top),
which no catalogue of ours serves. While the command line runs, `translated()` points those two names at ours, and
the texts below put argparse's messages (Python 3.11's, word for word) into our catalogue. Those argparse keeps
for programming mistakes (a conflicting option, a bad `dest`) are left out: they reach developers, in English.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from bot import i18n
from bot.i18n import N_

# Marked for extraction only: argparse itself asks for them by these exact texts.
ARGPARSE_TEXTS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("unrecognized arguments: %s"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
)


@contextmanager
def translated() -> Iterator[None]:
    """Within the block, argparse speaks the language in force (bot.i18n); afterwards, as before."""
    saved = getattr(argparse, "_"), getattr(argparse, "ngettext")  # noqa: B009 (typeshed does not declare them)
    setattr(argparse, "_", i18n._)  # noqa: B010
    setattr(argparse, "ngettext", i18n.ngettext)  # noqa: B010
    try:
        yield
    finally:
        setattr(argparse, "_", saved[0])  # noqa: B010
        setattr(argparse, "ngettext", saved[1])  # noqa: B010
