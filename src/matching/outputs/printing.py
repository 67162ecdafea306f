"""What every page meant for paper shares: a print button, and the one script behind it.

The pages are opened from a run's folder, a zip or the console. The console's
Content-Security-Policy allows no inline script but this one, by its hash
(:data:`PRINT_SCRIPT_HASH`), so the button works there and offline alike."""

from __future__ import annotations

import base64
import hashlib
import html

from matching.catalogue import say

#: The script behind every print button (its exact text is what the hash allows).
#: A button whose ``data-print`` names a part of the page (``week-3``) goes there first, and
#: the page's print style then prints that part alone.
PRINT_SCRIPT = ('document.querySelectorAll("[data-print]").forEach(function (b) '
                '{ b.addEventListener("click", function () { var part = b.dataset.print; '
                'if (part) { location.hash = part; } window.print(); }); });')

#: The Content-Security-Policy source that allows :data:`PRINT_SCRIPT` and nothing else.
PRINT_SCRIPT_HASH = "'sha256-" + base64.b64encode(
    hashlib.sha256(PRINT_SCRIPT.encode()).digest()).decode() + "'"

#: How the button looks on screen; on paper it is not there.
PRINT_STYLE = ("button.print{font:inherit;font-size:12pt;padding:.4em 1.4em;margin:0 0 1em;"
               "background:#1d2733;color:#fff;border:0;border-radius:.3em;cursor:pointer}"
               "@media print{.noprint,button.print{display:none!important}}")


def print_button(lang: str) -> str:
    """A print button and its script (at the end of a page's body)."""
    return (f'<button class="print noprint" type="button" data-print>'
            f'{html.escape(say("page.print", lang))}</button>'
            f"<script>{PRINT_SCRIPT}</script>")
