"""A newcomer's first run (issue 13): `make run` leaves someone able to sign in, and the demo
posters point at the port actually served."""

import re
import subprocess

import pytest
import zxingcpp
from PIL import Image

from feedback import create_app
from feedback.cli import service
from feedback.db import connect
from tests.conftest import BASE_URL, ROOT, feedback_cli, sign_in

PASSWORD_LINE = re.compile(r"^\s+(demo-\w+)\s+password (\S+)\s+\((admin|clerk), ", re.M)


def test_demo_makes_an_admin_and_a_clerk_one_can_sign_in_with(instance):
    assert feedback_cli("init").returncode == 0
    first = feedback_cli("demo")
    assert first.returncode == 0, first.stderr
    assert f"sign in at {BASE_URL}/admin/" in first.stdout
    accounts = {
        name: (password, role) for name, password, role in PASSWORD_LINE.findall(first.stdout)
    }
    assert set(accounts) == {"demo-admin", "demo-clerk"}
    assert accounts["demo-clerk"][1] == "clerk" and "(clerk, 甲镇)" in first.stdout
    for username, (password, _role) in accounts.items():
        client = create_app({"TESTING": True}).test_client()
        response = sign_in(client, username, password)
        assert response.status_code == 303 and response.headers["Location"].endswith("/admin/")
        assert "六龙村议事亭" in client.get("/admin/stations/").get_data(as_text=True)

    again = feedback_cli("demo")
    assert again.returncode == 0 and "no demo stations added" in again.stdout
    assert "Staff accounts exist; sign in at" in again.stdout
    assert not PASSWORD_LINE.search(again.stdout)
    db = connect(instance / "feedback.db")
    assert sorted(u["username"] for u in db["users"].rows) == ["demo-admin", "demo-clerk"]
    assert db["stations"].count == 3


def test_demo_never_adds_accounts_to_a_real_database(instance):
    assert feedback_cli("init").returncode == 0
    assert feedback_cli("station", "add", "real-1", "真实站点", "--town", "乙镇").returncode == 0
    result = feedback_cli("demo")
    assert "No staff account yet. Make one: feedback user add NAME --role admin" in result.stdout
    assert connect(instance / "feedback.db")["users"].count == 0


def test_the_default_base_url_follows_the_port(instance, monkeypatch):
    monkeypatch.delenv("FEEDBACK_BASE_URL")
    assert create_app().config["FEEDBACK_BASE_URL"] == "http://127.0.0.1:8000"
    monkeypatch.setenv("FEEDBACK_PORT", "8080")
    assert create_app().config["FEEDBACK_BASE_URL"] == "http://127.0.0.1:8080"
    monkeypatch.setenv("FEEDBACK_BASE_URL", "https://feedback.example.gov.cn/")
    assert create_app().config["FEEDBACK_BASE_URL"] == "https://feedback.example.gov.cn"


def test_serve_hands_its_port_to_the_workers(instance, monkeypatch):
    monkeypatch.delenv("FEEDBACK_BASE_URL")
    monkeypatch.delenv("FEEDBACK_PORT", raising=False)
    started = []
    monkeypatch.setattr(service.os, "execv", lambda *args: started.append(args))
    runner = create_app({"TESTING": True}).test_cli_runner()
    result = runner.invoke(args=["serve", "--port", "8081"])
    assert result.exit_code == 0, result.output
    assert "staff sign-in (工作台): http://127.0.0.1:8081/admin/" in result.output
    assert "--bind" in started[0][1] and "127.0.0.1:8081" in started[0][1]
    assert service.os.environ["FEEDBACK_PORT"] == "8081"
    assert create_app().config["FEEDBACK_BASE_URL"] == "http://127.0.0.1:8081"


@pytest.mark.slow
def test_port_8080_make_seed_prints_posters_for_8080(instance, monkeypatch, tmp_path):
    monkeypatch.delenv("FEEDBACK_BASE_URL")
    out = tmp_path / "posters"
    result = subprocess.run(
        ["make", "-s", "seed", f"QRCODES={out}", "PORT=8080"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sign in at http://127.0.0.1:8080/admin/" in result.stdout
    codes = zxingcpp.read_barcodes(Image.open(out / "liulong-ting.png"))
    assert [code.text for code in codes] == ["http://127.0.0.1:8080/s/liulong-ting"]
