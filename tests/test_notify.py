"""Text messages (feedback.notify, feedback.notify_send, the two providers): the outbox is
written with its event, sent once through a fake provider that checks each provider's
documented signature, retried, settled after an interrupted send, stopped by a TD reply or a
clerk, purged with the contacts, and idle without a provider. Supporters (我也遇到) who left
a phone with consent are texted the board link when their suggestion is answered."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from feedback import (
    clock,
    departments,
    handling,
    handling_town,
    notify,
    notify_send,
    opinions,
    reopening,
    retention,
    sms,
    suggestions,
    supporters,
    users,
)
from feedback.access import Access
from feedback.db import write_transaction
from feedback.sms_aliyun import signature as aliyun_signature
from feedback.sms_tencent import canonical_request
from tests.conftest import BASE_URL, csrf_of, sign_in
from tests.fake_sms import KEY_SECRET, FakeSms

JIA = Access("clerk", "甲镇", "jia")
FIELDS = {"title": "路灯不亮", "body": "路灯不亮", "category": "other", "tier": "一般"}
DAYS = {"微事": 7, "一般": 30, "重大": 90}
PHONE = "13812345678"


@pytest.fixture
def world(db, two_town_stations):
    """Opinions 1-3 of 甲镇: 1 and 2 asked for texts (two numbers), 3 left a phone only."""
    for n, (phone, wants) in enumerate(((PHONE, 1), ("13900001111", 1), ("13700002222", 0)), 1):
        db["opinions"].insert(
            {
                "id": n,
                "receipt": f"KKKKKKK{n + 1}",
                "station_id": 1,
                "body": f"第{n}条:村口路灯坏了",
                "category": "other",
                "phone": phone,
                "consent": 1,
                "sms": wants,
                "created_at": clock.stamp(clock.now() - timedelta(hours=1)),
            }
        )
    db.conn.commit()


def outbox(db) -> list[dict]:
    return list(db.query("select * from sms_outbox order by id"))


def run(db, fake: FakeSms | None, tmp_path, **policy) -> notify_send.Report:
    settings = None
    if fake is not None:
        env = fake.env()
        settings = sms.settings_from({**env, "FEEDBACK_SMS_TIMEOUT": policy.pop("timeout", 5)})
    return notify_send.run(
        db,
        notify_send.provider_for(settings),
        notify_send.Policy(BASE_URL, **policy),
        tmp_path / "notify.lock",
    )


@pytest.fixture(params=["tencent", "aliyun"])
def fake(request):
    with FakeSms(request.param) as provider:
        yield provider


def test_alibaba_signature_matches_its_documented_example():
    """The SendSms example of Alibaba's signature page (GET, testId / testSecret)."""
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature(params, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_tencent_canonical_request_matches_its_documented_example():
    """The DescribeInstances example of Tencent Cloud's "Signature v3" page: the hashes of
    its payload and canonical request as published there (its keys are masked, so the
    signature itself is checked by the fake provider)."""
    body = (
        b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )
    canonical = canonical_request("cvm.tencentcloudapi.com", "DescribeInstances", body)
    assert canonical.endswith("35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    assert digest == "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"


def test_merge_and_answer_text_the_villagers_who_asked_once(db, world, fake, tmp_path):
    suggestion = suggestions.create(db, JIA, [1, 3], FIELDS, DAYS)
    assert [(m["opinion_id"], m["event"]) for m in outbox(db)] == [(1, "merged")]
    report = run(db, fake, tmp_path)
    assert (report.sent, report.waiting) == (1, 0)
    [text] = fake.messages
    assert text["phone"] == PHONE and text["text"].endswith(
        f"查看进展:{BASE_URL}/t/KKKKKKK2 回复TD退订"
    )
    row = outbox(db)[0]
    assert row["status"] == "sent" and row["body"] == notify.TEXTS["merged"].format(
        link=f"{BASE_URL}/t/KKKKKKK2"
    )
    kept = db.execute("select response from sms_attempts").fetchone()[0]
    assert PHONE not in kept and ("138****5678" in kept or fake.kind == "aliyun")  # masked

    suggestions.add_opinions(db, JIA, suggestion, [2])
    suggestions.update(db, JIA, suggestion, {}, department="镇城建办")
    for status in ("待交办", "已交办", "办理中"):  # the last step closes it with the answer
        suggestions.advance(db, JIA, suggestion, status, "三盏路灯已修好")
    assert run(db, fake, tmp_path).sent == 3  # 2 merged, 1 and 2 answered
    assert run(db, fake, tmp_path).sent == 0  # nothing twice
    answered = [m for m in fake.messages if "已有答复" in m["text"]]
    assert sorted(m["phone"] for m in answered) == [PHONE, "13900001111"]
    assert len(fake.tags()) == len(set(fake.tags())) == 4


def test_a_direct_answer_and_an_accepted_department_answer_text(app, db, world, tmp_path):
    opinions.answer_directly(db, JIA, 1, "路灯已修好")
    suggestion = suggestions.create(db, JIA, [2], FIELDS, DAYS)
    office = departments.add(db, "甲镇城建办", "boss", "甲镇")
    users.add(db, "cj", "correct horse", "department", None, department="甲镇城建办")
    lead = Access.of(next(db.query("select * from users where username = 'cj'")))
    deadline = (clock.now().date() + timedelta(days=10)).isoformat()
    handling_town.hand_over(db, JIA, suggestion, office, [], deadline, 0)
    handling.sign_for(db, lead, suggestion, handling.latest_event(db, suggestion))
    seen = handling.latest_event(db, suggestion)
    handling.submit_answer(db, lead, suggestion, "A", "路灯已修好", seen)
    assert [m["event"] for m in outbox(db)] == ["answered", "merged"]
    supporters.support(db, "甲镇", suggestion, "browser", "13600003333", True)
    handling_town.review(db, JIA, suggestion, True, "", handling.latest_event(db, suggestion))
    assert [(m["opinion_id"], m["supporter_id"], m["event"]) for m in outbox(db)] == [
        (1, None, "answered"),
        (2, None, "merged"),
        (2, None, "answered"),
        (None, 1, "supported_answered"),
    ]


def test_a_refused_merge_leaves_no_message(db, world):
    suggestion = suggestions.create(db, JIA, [1], FIELDS, DAYS)
    db.execute("update suggestions set status = '已办结' where id = ?", [suggestion])
    db.conn.commit()
    with pytest.raises(suggestions.SuggestionError):
        suggestions.add_opinions(db, JIA, suggestion, [2])
    assert [m["opinion_id"] for m in outbox(db)] == [1]


def test_a_wrong_secret_gets_the_providers_error_and_the_message_waits(db, world, fake, tmp_path):
    suggestions.create(db, JIA, [1, 2], FIELDS, DAYS)
    env = dict(fake.env(), FEEDBACK_SMS_KEY_SECRET="not-the-secret")
    provider = notify_send.provider_for(sms.settings_from(env))
    report = notify_send.run(db, provider, notify_send.Policy(BASE_URL), tmp_path / "lock")
    expected = "AuthFailure.SignatureFailure" if fake.kind == "tencent" else "SignatureDoesNotMatch"
    assert report.halted == expected and set(fake.rejected) == {expected} and not fake.messages
    assert [(m["status"], m["attempts"]) for m in outbox(db)] == [("pending", 0)] * 2
    assert run(db, fake, tmp_path).sent == 2  # the right key: sent, once each


def test_transient_refusals_are_retried_with_back_off_then_given_up(db, world, fake, tmp_path):
    suggestions.create(db, JIA, [1], FIELDS, DAYS)
    fake.fail_next = 10
    assert run(db, fake, tmp_path, max_attempts=2).retry == 1
    [row] = outbox(db)
    wait = clock.parse(row["next_at"]) - clock.now()
    assert row["status"] == "pending" and timedelta(seconds=50) < wait <= timedelta(seconds=60)
    assert run(db, fake, tmp_path, max_attempts=2).retry == 0  # not due yet: nothing sent
    db.execute("update sms_outbox set next_at = ?", [clock.stamp()])
    db.conn.commit()
    assert run(db, fake, tmp_path, max_attempts=2).failed == 1
    assert outbox(db)[0]["status"] == "failed" and not fake.messages
    codes = [r[0] for r in db.execute("select outcome from sms_attempts order by id")]
    assert all(code.startswith("transient ") for code in codes) and len(codes) == 2


def test_a_slow_answer_is_settled_by_asking_not_by_sending_again(db, world, fake, tmp_path):
    suggestions.create(db, JIA, [1], FIELDS, DAYS)
    fake.delay = 1.5
    report = run(db, fake, tmp_path, timeout=0.5)
    assert report.unknown == 1 and outbox(db)[0]["status"] == "sending"
    fake.delay = 0
    assert run(db, fake, tmp_path, reconcile_after=3600).reconciled == 0  # too soon to ask
    report = run(db, fake, tmp_path, reconcile_after=0)
    assert (report.reconciled, report.requeued, report.sent) == (1, 0, 0)
    assert outbox(db)[0]["status"] == "sent" and len(fake.messages) == 1


def test_a_stop_reply_opts_the_number_out(app, client, db, world, tmp_path):
    suggestions.create(db, JIA, [1], FIELDS, DAYS)
    with FakeSms("tencent") as fake:
        fake.replies.append(
            {"PhoneNumber": "+86" + PHONE, "SubscriberNumber": PHONE, "ReplyContent": " td ",
             "ReplyTime": 1, "SignName": "码上提", "CountryCode": "86", "ExtendCode": ""}
        )  # fmt: skip
        report = run(db, fake, tmp_path)
    assert (report.opted_out, report.sent) == (1, 0)
    assert outbox(db)[0]["status"] == "cancelled"
    # Alibaba pushes replies (SmsUp) to the secret address; a wrong one is a 404.
    app.config["FEEDBACK_SMS_CALLBACK_TOKEN"] = "s3cret-path"
    pushed = [{"phone_number": "13900001111", "content": "退订", "send_time": "2026-11-23 10:00:00",
               "sign_name": "码上提", "dest_code": "1", "sequence_id": 7}]  # fmt: skip
    assert client.post("/sms/replies/aliyun/guess", json=pushed).status_code == 404
    answer = client.post("/sms/replies/aliyun/s3cret-path", json=pushed)
    assert answer.get_json() == {"code": 0, "msg": "成功"}
    suggestions.create(db, JIA, [2], FIELDS, DAYS)
    assert [m["opinion_id"] for m in outbox(db)] == [1]  # opinion 2's number opted out


def test_a_clerk_opts_a_villager_out_on_the_opinion_page(client, db, world):
    suggestions.create(db, JIA, [1], FIELDS, DAYS)
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    sign_in(client, "jia")
    page = client.get("/admin/opinions/1").get_data(as_text=True)
    assert "并入建议" in page and "待发送" in page and "未配置短信服务" in page
    done = client.post("/admin/opinions/1/sms-optout", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 303
    page = client.get("/admin/opinions/1").get_data(as_text=True)
    assert "已退订" in page and "已取消(已退订)" in page and 'id="sms-optout"' not in page
    assert "不再发短信" in page  # in the opinion's 记录
    outbox_page = client.get("/admin/sms").get_data(as_text=True)
    assert "未配置短信服务" in outbox_page and "已取消(已退订) 1" in outbox_page


def test_the_retention_purge_takes_the_numbers_out_of_the_outbox(db, world, fake, tmp_path):
    suggestions.create(db, JIA, [1, 2], FIELDS, DAYS)
    run(db, fake, tmp_path, batch=1)  # one sent, one waiting
    retention.purge_contacts(db, 0, "cli")
    rows = outbox(db)
    assert [m["phone"] for m in rows] == [None, None]
    assert [m["status"] for m in rows] == ["sent", "cancelled"]
    assert run(db, fake, tmp_path).sent == 0 and len(fake.messages) == 1
    entry = json.loads(db.execute("select detail from audit_log order by id desc").fetchone()[0])
    assert entry["messages"] == 2


def test_without_a_provider_nothing_is_sent_and_notify_says_so(instance, db, world, runner):
    suggestions.create(db, JIA, [1], FIELDS, DAYS)
    result = runner.invoke(args=["notify"])
    assert result.exit_code == 0
    assert "No SMS provider configured" in result.output and "1 message(s) waiting" in result.output
    assert outbox(db)[0]["status"] == "pending"


def test_a_half_configured_provider_is_named(monkeypatch, app, runner):
    app.config["FEEDBACK_SMS_PROVIDER"] = "tencent"
    result = runner.invoke(args=["notify"])
    assert result.exit_code == 1 and "FEEDBACK_SMS_KEY_ID" in result.output


def test_the_form_asks_for_a_phone_before_texts(client, db, two_town_stations):
    html = client.get("/s/ll-01").get_data(as_text=True)
    data = {"csrf_token": csrf_of(html), "body": "村口路灯坏了三个月", "sms": "y"}
    answer = client.post("/s/ll-01", data=data)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "要收短信,请填写手机号" in text
    assert "村口路灯坏了三个月" in text  # what was typed is kept
    data.update(phone="138 1234 5678", consent="y")
    assert client.post("/s/ll-01", data=data).status_code == 303
    assert db.execute("select sms, phone from opinions").fetchall() == [(1, PHONE)]


def test_the_secret_never_leaves_in_a_request(db, world, tmp_path):
    with FakeSms("aliyun") as fake:
        suggestions.create(db, JIA, [1], FIELDS, DAYS)
        run(db, fake, tmp_path)
    stored = " ".join(r[0] for r in db.execute("select response from sms_attempts"))
    assert KEY_SECRET not in stored


def test_a_clerk_typing_in_a_paper_opinion_can_ask_for_texts(client, db, two_town_stations):
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    sign_in(client, "jia")
    page = client.get("/admin/opinions/new").get_data(as_text=True)
    assert "村民要求有进展时发短信告诉他" in page
    data = {"csrf_token": csrf_of(page), "station": "1", "channel": "paper", "category": ""}
    data.update(body="纸质表:村口路灯坏了三个月", phone="13812345678", consent="y", sms="y")
    assert client.post("/admin/opinions/new", data=data).status_code == 303
    suggestions.create(db, JIA, [1], FIELDS, DAYS)
    assert [m["phone"] for m in outbox(db)] == [PHONE]


def test_a_refused_configuration_fails_the_command_and_keeps_the_messages(app, db, world, runner):
    suggestions.create(db, JIA, [1], FIELDS, DAYS)
    with FakeSms("aliyun") as fake:
        app.config.update(fake.env(), FEEDBACK_SMS_KEY_SECRET="wrong")
        result = runner.invoke(args=["notify"])
    assert result.exit_code == 1 and "SignatureDoesNotMatch" in result.output
    assert outbox(db)[0]["status"] == "pending"


def test_one_run_at_a_time(db, world, tmp_path):
    suggestions.create(db, JIA, [1], FIELDS, DAYS)
    with FakeSms("tencent") as fake, notify_send._one_run(tmp_path / "notify.lock") as held:
        assert held
        assert run(db, fake, tmp_path).busy and not fake.messages


def test_a_suggestion_answered_again_texts_again_but_a_repeat_does_not(db, world):
    suggestion = suggestions.create(db, JIA, [1], FIELDS, DAYS)
    db.execute("update suggestions set closed_at = '2026-11-01T10:00:00+08:00' where id = 1")
    notify.suggestion_answered(db, suggestion)
    notify.suggestion_answered(db, suggestion)  # the same closing, seen twice
    db.execute("update suggestions set closed_at = '2026-11-20T10:00:00+08:00' where id = 1")
    notify.suggestion_answered(db, suggestion)  # reopened (二次办理) and answered again
    db.conn.commit()
    assert [m["event"] for m in outbox(db)] == ["merged", "answered", "answered"]


def test_tencents_reply_callback_opts_out_too(app, client, db, world):
    app.config["FEEDBACK_SMS_CALLBACK_TOKEN"] = "s3cret-path"
    pushed = {"extend": "", "mobile": PHONE, "nationcode": "86", "sign": "码上提",
              "text": "TD", "time": 1764640000}  # fmt: skip
    answer = client.post("/sms/replies/tencent/s3cret-path", json=pushed)
    assert answer.get_json() == {"result": 0, "errmsg": "OK"}
    not_stop = dict(pushed, mobile="13900001111", text="谢谢,路灯修好了")
    client.post("/sms/replies/tencent/s3cret-path", json=[not_stop])
    suggestions.create(db, JIA, [1, 2], FIELDS, DAYS)
    assert [m["opinion_id"] for m in outbox(db)] == [2]  # only the TD number stopped


def test_old_news_is_not_sent(db, world, tmp_path):
    suggestions.create(db, JIA, [1], FIELDS, DAYS)
    db.execute(
        "update sms_outbox set created_at = ?", [clock.stamp(clock.now() - timedelta(days=4))]
    )
    db.conn.commit()
    with FakeSms("aliyun") as fake:
        report = run(db, fake, tmp_path, expire_hours=72)
    assert (report.expired, report.sent, fake.messages) == (1, 0, [])
    assert outbox(db)[0]["status"] == "expired"


# --- supporters (我也遇到) ---------------------------------------------------------------

SUPPORTER, NEIGHBOUR = "13600003333", "13600004444"


def support(db, suggestion: int, phone: str | None, device: str) -> None:
    supporters.support(db, "甲镇", suggestion, device, phone, bool(phone))


def close(db, suggestion: int, answer: str = "三盏路灯已修好") -> None:
    suggestions.update(db, JIA, suggestion, {}, department="镇城建办")
    for status in ("待交办", "已交办", "办理中"):  # the last step closes it with the answer
        suggestions.advance(db, JIA, suggestion, status, answer)


def test_a_supporter_with_a_phone_is_texted_the_board_link_once(client, db, world, fake, tmp_path):
    suggestion = suggestions.create(db, JIA, [3], FIELDS, DAYS)  # opinion 3 asked for none
    support(db, suggestion, SUPPORTER, "browser-a")
    support(db, suggestion, None, "browser-b")  # a tap without a phone: counted, not texted
    assert outbox(db) == []  # nothing until the answer
    close(db, suggestion)
    [row] = outbox(db)
    assert (row["event"], row["supporter_id"], row["opinion_id"], row["receipt"]) == (
        "supported_answered",
        1,
        None,
        None,
    )
    assert run(db, fake, tmp_path).sent == 1
    notify.suggestion_answered(db, suggestion)  # the same closing seen again
    db.conn.commit()
    assert run(db, fake, tmp_path).sent == 0 and len(outbox(db)) == 1
    [text] = fake.messages  # accepted: the fake checked the request's signature
    link = f"{BASE_URL}/b/{suggestion}"
    assert text["phone"] == SUPPORTER and text["text"].endswith(f"请查看:{link} 回复TD退订")
    assert outbox(db)[0]["body"] == notify.TEXTS["supported_answered"].format(link=link)
    assert outbox(db)[0]["status"] == "sent" and not fake.rejected

    # The link opens the suggestion's own card on its town's board, whatever its page.
    landing = client.get(f"/b/{suggestion}")
    assert landing.status_code == 302
    assert landing.location.endswith(f"/board/%E7%94%B2%E9%95%87?s={suggestion}#s-{suggestion}")
    page = client.get(landing.location.split("#")[0]).get_data(as_text=True)
    assert f'id="s-{suggestion}"' in page and "三盏路灯已修好" in page and 'id="one-item"' in page
    assert page.count('<article class="card"') == 1
    assert client.get("/b/999").status_code == 404


def test_supporters_without_consent_or_opted_out_are_not_texted(db, world):
    suggestion = suggestions.create(db, JIA, [3], FIELDS, DAYS)
    support(db, suggestion, SUPPORTER, "a")
    support(db, suggestion, NEIGHBOUR, "b")
    db.execute(  # a phone kept without consent (support() refuses one): never texted
        "insert into supporters (suggestion_id, phone, consent, device, created_at) "
        "values (?, '13600005555', 0, 'c', ?)",
        [suggestion, clock.stamp()],
    )
    with write_transaction(db):
        notify.opt_out(db, NEIGHBOUR, "reply", "villager")
    close(db, suggestion)
    assert [(m["event"], m["phone"]) for m in outbox(db)] == [("supported_answered", SUPPORTER)]


def test_a_reply_or_the_clerks_click_stops_a_supporters_text(app, client, db, world, tmp_path):
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    suggestion = suggestions.create(db, JIA, [3], FIELDS, DAYS)
    support(db, suggestion, SUPPORTER, "a")
    support(db, suggestion, NEIGHBOUR, "b")
    close(db, suggestion)
    sign_in(client, "jia")
    page = client.get(f"/admin/suggestions/{suggestion}").get_data(as_text=True)
    assert "136****3333" in page and "短信:待发送" in page and SUPPORTER not in page
    done = client.post(
        f"/admin/suggestions/{suggestion}/supporters/1/sms-optout",
        data={"csrf_token": csrf_of(page)},
    )
    assert done.status_code == 303 and done.location.endswith("#board")
    page = client.get(f"/admin/suggestions/{suggestion}").get_data(as_text=True)
    assert page.count("已退订短信") == 1
    app.config["FEEDBACK_SMS_CALLBACK_TOKEN"] = "s3cret-path"
    pushed = {"mobile": NEIGHBOUR, "nationcode": "86", "sign": "码上提", "text": "TD",
              "time": 1764640000, "extend": ""}  # fmt: skip
    client.post("/sms/replies/tencent/s3cret-path", json=pushed)
    assert [m["status"] for m in outbox(db)] == ["cancelled", "cancelled"]
    with FakeSms("tencent") as fake:
        assert run(db, fake, tmp_path).sent == 0 and not fake.messages
    outbox_page = client.get("/admin/sms").get_data(as_text=True)
    assert f"我也遇到 · 建议 #{suggestion}" in outbox_page and "已取消(已退订) 2" in outbox_page
    assert "136****3333" in outbox_page and SUPPORTER not in outbox_page
    assert NEIGHBOUR not in outbox_page
    actions = [r[0] for r in db.execute("select action from audit_log")]
    assert "supporter.sms_optout" in actions
    other = Access("clerk", "乙镇", "yi")
    with pytest.raises(notify.NotFound):  # another town's clerk cannot
        notify.clerk_opt_out_supporter(db, other, suggestion, 2)
    assert notify.counts(db, other) == dict.fromkeys(notify.STATUS_LABELS, 0)


def test_the_purge_takes_supporters_numbers_out_of_the_outbox(db, world, fake, tmp_path):
    suggestion = suggestions.create(db, JIA, [3], FIELDS, DAYS)
    support(db, suggestion, SUPPORTER, "a")
    support(db, suggestion, NEIGHBOUR, "b")
    later = suggestions.create(db, JIA, [2], dict(FIELDS, title="水管"), DAYS)
    support(db, later, "13600006666", "c")  # recent, and opted out: that opt-out stays
    with write_transaction(db):
        notify.opt_out(db, "13600006666", "reply", "villager")
    close(db, suggestion)
    run(db, fake, tmp_path, batch=2)  # opinion 2's merged text and one supporter's sent
    old = clock.stamp(clock.now() - timedelta(days=3))
    db.execute("update supporters set created_at = ? where id in (1, 2)", [old])
    db.conn.commit()
    retention.purge_contacts(db, 2, "cli")
    rows = [m for m in outbox(db) if m["supporter_id"]]
    assert [(m["phone"], m["status"]) for m in rows] == [(None, "sent"), (None, "cancelled")]
    assert run(db, fake, tmp_path).sent == 0 and len(fake.messages) == 2
    phones = [r[0] for r in db.execute("select phone from supporters order by id")]
    assert phones == [None, None, "13600006666"]
    assert [r[0] for r in db.execute("select phone from sms_optouts")] == ["13600006666"]
    entry = json.loads(db.execute("select detail from audit_log order by id desc").fetchone()[0])
    assert (entry["messages"], entry["supporters"]) == (2, 2)


def test_a_reopened_suggestion_closed_again_texts_its_supporters_again(db, world, monkeypatch):
    suggestion = suggestions.create(db, JIA, [1], FIELDS, DAYS)
    support(db, suggestion, SUPPORTER, "a")
    close(db, suggestion)
    with write_transaction(db):  # a villager not satisfied on a return visit: 二次办理
        reopening.reopen_in(db, JIA, 1, "灯又坏了两盏")
    support(db, suggestion, NEIGHBOUR, "b")  # open again: another supporter
    days_later = clock.now() + timedelta(days=3)
    monkeypatch.setattr(clock, "now", lambda: days_later)
    suggestions.advance(db, JIA, suggestion, "办理中", "五盏路灯已全部修好")
    sent = [(m["event"], m["phone"]) for m in outbox(db) if m["event"] != "merged"]
    assert sent == [
        ("answered", PHONE),
        ("supported_answered", SUPPORTER),
        ("answered", PHONE),
        ("supported_answered", SUPPORTER),
        ("supported_answered", NEIGHBOUR),
    ]


def test_a_supporter_who_is_a_villager_behind_it_gets_one_text(db, world, fake, tmp_path):
    """The villager behind the suggestion who asked for texts also tapped 我也遇到 with the
    same phone: one text, the villager's, because it carries the link to rate (and their
    status page links to the board). A villager who asked for none is texted as a supporter."""
    suggestion = suggestions.create(db, JIA, [1, 3], FIELDS, DAYS)
    support(db, suggestion, PHONE, "a")  # opinion 1's villager, who asked for texts
    support(db, suggestion, "13700002222", "b")  # opinion 3's, who did not
    close(db, suggestion)
    sent = [(m["event"], m["phone"]) for m in outbox(db) if m["event"] != "merged"]
    assert sent == [("answered", PHONE), ("supported_answered", "13700002222")]
    run(db, fake, tmp_path)
    texts = {m["phone"]: m["text"] for m in fake.messages if "已有答复" in m["text"]}
    assert texts[PHONE].endswith(f"{BASE_URL}/t/KKKKKKK2 回复TD退订")
    assert texts["13700002222"].endswith(f"{BASE_URL}/b/{suggestion} 回复TD退订")


def test_a_provider_needs_the_supporters_template_too(app, runner):
    with FakeSms("aliyun") as fake:
        app.config.update(fake.env(), FEEDBACK_SMS_TEMPLATE_SUPPORTED=None)
        result = runner.invoke(args=["notify"])
    assert result.exit_code == 1 and "FEEDBACK_SMS_TEMPLATE_SUPPORTED" in result.output


def test_without_a_provider_a_supporters_text_waits(instance, db, world, runner):
    suggestion = suggestions.create(db, JIA, [3], FIELDS, DAYS)
    support(db, suggestion, SUPPORTER, "a")
    close(db, suggestion)
    result = runner.invoke(args=["notify"])
    assert result.exit_code == 0 and "1 message(s) waiting" in result.output
    assert [(m["event"], m["status"]) for m in outbox(db)] == [("supported_answered", "pending")]
