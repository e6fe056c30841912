"""The network guard: a test that reaches beyond loopback fails, loopback still works."""

from __future__ import annotations

import asyncio
import socket
import textwrap
from pathlib import Path

import pytest

from tests.fakes.loopback import LoopbackServer, static
from tests.netguard import NetworkGuardError, take_refused

TEST_NET = "192.0.2.1"  # TEST-NET-1: never routed; the guard refuses before a packet leaves
ROOT = Path(__file__).resolve().parents[1]


def test_a_connect_beyond_loopback_is_refused_with_the_address() -> None:
    with socket.socket() as sock, pytest.raises(NetworkGuardError) as refused:
        sock.connect((TEST_NET, 80))
    assert f"{TEST_NET}:80" in str(refused.value) and "loopback" in str(refused.value)
    assert take_refused() == [f"{TEST_NET}:80"]  # taken, so this test itself passes


async def test_asyncio_connects_and_name_lookups_are_refused_too() -> None:
    with pytest.raises(NetworkGuardError):
        await asyncio.open_connection("2001:db8::1", 443)
    assert take_refused() == ["2001:db8::1:443"]
    with pytest.raises(socket.gaierror, match="no DNS in tests"):
        await asyncio.get_running_loop().getaddrinfo("example.com", 443)


def test_loopback_is_reached() -> None:
    with LoopbackServer({"/": static(b"hi", "text/plain")}) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        for host in ("127.0.0.1", "localhost"):
            with socket.create_connection((host, port), timeout=3) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert sock.recv(64).startswith(b"HTTP/1.1 200")
    assert take_refused() == []


def test_a_test_that_swallows_the_refusal_still_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_leaky=textwrap.dedent(
            f"""
            import socket

            def test_leaks():
                try:
                    socket.create_connection(("{TEST_NET}", 80), timeout=1)
                except OSError:
                    pass  # the code under test hides the failure

            def test_stays_home():
                assert True
            """
        )
    )
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    result = pytester.runpytest_subprocess("-p", "tests.netguard", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines([f"*tried to reach beyond loopback: {TEST_NET}:80*"])
