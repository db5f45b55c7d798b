"""`python -m bot.healthcheck`: exit 0 when this host's bot answers GET /healthz on $PORT, 1 otherwise.

The Docker image's HEALTHCHECK runs it (exec form: no shell in between).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 2


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '3000').strip() or '3000'}/healthz"
    try:
        # Loopback, whatever proxy the container's environment names (HTTP_PROXY would take 127.0.0.1 too).
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with direct.open(url, timeout=TIMEOUT_SECONDS) as response:
            healthy = response.status == 200
    except (OSError, urllib.error.URLError) as error:
        print(f"unhealthy: {url}: {error}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
