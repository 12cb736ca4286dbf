"""`rollcall demo` serves the school office beside the day: the sign-ins printed, the page up, then stopped."""

from __future__ import annotations

import io
import socket
import urllib.error
import urllib.request

from edge.cli.demo_office import office_beside_demo


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_office_serves_while_the_demo_plays_and_stops_after() -> None:
    listen, out = f"127.0.0.1:{free_port()}", io.StringIO()
    with office_beside_demo(listen, "en", out) as signins:
        assert signins is not None
        with urllib.request.urlopen(f"http://{listen}/office/login", timeout=5) as page:
            assert page.status == 200
        shown = out.getvalue()
        assert f"http://{listen}/office/" in shown and "a sign-in for each role" in shown
        roles = {line.split()[0] for line in shown.splitlines() if line.startswith("  ")}
        assert {"office", "admin", "homeroom", "duty_leader", "duty_teacher", "guard"} <= roles
    try:
        urllib.request.urlopen(f"http://{listen}/office/login", timeout=2)
        raise AssertionError("the office still answers after the demo ended")
    except urllib.error.URLError:
        pass


def test_a_port_in_use_is_said_in_one_line_and_the_demo_goes_on() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listen, out = f"127.0.0.1:{taken.getsockname()[1]}", io.StringIO()
        with office_beside_demo(listen, "zh", out) as signins:
            assert signins is None
    said = out.getvalue().strip()
    assert len(said.splitlines()) == 1 and "学校办公室网页未能在" in said and listen in said
