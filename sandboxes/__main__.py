"""Run the channel sandboxes on their own:

    python -m sandboxes --port 8801 --apps apps.json [--latency 0.1]

`apps.json` lists the JPush apps to register: [{"app_key", "master_secret", "devices",
"quota_per_minute"}]. Prints `listening: http://HOST:PORT` once ready."""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path

from sandboxes import sandbox_app
from sandboxes.jpush import JPushSandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="channel sandboxes (JPush v3)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8801)
    parser.add_argument("--apps", type=Path, help="JSON list of JPush apps to register")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds each push takes to be answered (a platform's round trip)")  # fmt: skip
    args = parser.parse_args(argv)
    if not 0 <= args.latency <= 60:
        parser.error("--latency: 0 to 60 seconds")
    jpush = JPushSandbox(latency=args.latency)
    try:
        for app in json.loads(args.apps.read_text("utf-8")) if args.apps else []:
            jpush.add_app(app["app_key"], app["master_secret"], int(app.get("devices", 3)),
                          int(app.get("quota_per_minute", 600)))  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError) as exc:
        parser.error(f"--apps {args.apps}: 需要 JSON 列表 [{{app_key, master_secret, …}}]：{exc!r}")
    import uvicorn

    config = uvicorn.Config(sandbox_app(jpush), host=args.host, port=args.port,
                            log_level="warning", lifespan="off")  # fmt: skip
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started:
            threading.Event().wait(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        print(f"listening: http://{args.host}:{port}", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    server.run()


if __name__ == "__main__":
    main()
