"""Starts the project's twins as real processes for the client suite.

The binary comes from BACKLOG_SYNC_BIN (set by .ci/run after `cargo build`); without it the
suite skips with one line saying why. Each twin prints its URL on its first stdout line.
"""

import os
import subprocess

import pytest

TOKEN = "client-suite-token"
MEMBER_GITHUB = "octocat"
MEMBER_AZURE = "dana@contoso.example"


def _binary():
    path = os.environ.get("BACKLOG_SYNC_BIN", "")
    if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
        pytest.skip(
            "BACKLOG_SYNC_BIN is not set to a built backlog-sync binary "
            "(run `cargo build` and set BACKLOG_SYNC_BIN=target/debug/backlog-sync)",
            allow_module_level=True,
        )
    return path


def _start(args):
    process = subprocess.Popen(
        [_binary(), "twin", *args, "--port", "0", "--token", TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        process.wait()
        raise RuntimeError(f"the twin printed {url!r} instead of its URL")
    return process, url


def _stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def github_url():
    process, url = _start(["github", "--repo", "contoso/onboarding", "--member", MEMBER_GITHUB])
    yield url
    _stop(process)


@pytest.fixture(scope="session")
def azure_url(tmp_path_factory):
    # The SDK caches discovery answers on disk; keep them out of the user's home and per run.
    os.environ["AZURE_DEVOPS_CACHE_DIR"] = str(tmp_path_factory.mktemp("azure-devops-cache"))
    process, url = _start(["azure", "--project", "Onboarding:agile", "--member", MEMBER_AZURE])
    yield url
    _stop(process)
