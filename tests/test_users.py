"""`feedback user add` and what the stored account looks like."""

import pytest


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["li", "--role", "clerk"], "long enough pw", "a clerk needs --town"),
        (["li", "--role", "admin"], "short", "at least 8 characters"),
        (["l i", "--role", "admin"], "long enough pw", "username"),
        (["li", "--role", "boss"], "long enough pw", "'boss' is not one of"),
    ],
)
def test_user_add_refuses_bad_accounts(runner, db, args, password, message):
    result = runner.invoke(args=["user", "add", *args, "--password-stdin"], input=password + "\n")
    assert result.exit_code != 0
    assert message in result.output
    assert db["users"].count == 0


def test_user_add_stores_a_hash_never_the_password(runner, db):
    assert runner.invoke(args=["town", "add", "甲镇"]).exit_code == 0
    result = runner.invoke(
        args=["user", "add", "li", "--role", "clerk", "--town", "甲镇", "--password-stdin"],
        input="correct horse\n",
    )
    assert result.exit_code == 0, result.output
    assert "Added clerk li (甲镇)" in result.output
    (user,) = db["users"].rows
    assert user["town"] == "甲镇" and "correct horse" not in user["password_hash"]
    assert user["password_hash"].startswith(("scrypt:", "pbkdf2:"))
    again = runner.invoke(
        args=["user", "add", "li", "--role", "admin", "--password-stdin"],
        input="another long one\n",
    )
    assert again.exit_code != 0 and "already exists" in again.output
