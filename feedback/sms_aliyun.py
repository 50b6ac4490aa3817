"""Alibaba Cloud SMS (阿里云短信服务, dysmsapi 2017-05-25), RPC style, signed as its "signature
method" page documents (signature version 1.0, HMAC-SHA1).

Every parameter but Signature, sorted by name, each name and value percent-encoded as
RFC 3986 (unreserved A-Z a-z 0-9 - _ . ~ kept, space as %20, never +), joined as k=v with &;
the string to sign is the HTTP method, "&", the encoded "/", "&", and that query encoded once
more; the signature is the base64 of its HMAC-SHA1 under AccessKeySecret + "&".

Messages carry our outbox tag as OutId, which QuerySendDetails returns with each record, so
an interrupted send is settled by asking. Replies (回复TD退订) come by Alibaba's HTTP push
of uplink messages (SmsUp) to feedback.web.sms; there is no pull API without a message queue.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

from feedback import sms

HOST = "dysmsapi.aliyuncs.com"
VERSION = "2017-05-25"
HALT = ("SignatureDoesNotMatch", "InvalidAccessKeyId", "IncompleteSignature", "Forbidden",
        "isv.SMS_SIGNATURE_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL", "isv.ACCOUNT_NOT_EXISTS",
        "isv.OUT_OF_SERVICE", "isv.AMOUNT_NOT_ENOUGH", "isv.ACCOUNT_ABNORMAL",
        "isv.SMS_SIGN_ILLEGAL", "SignatureNonceUsed", "InvalidTimeStamp")  # fmt: skip
TRANSIENT = ("LIMIT_CONTROL", "Throttling", "ServiceUnavailable", "InternalError", "isp.")
CHINA = timezone(timedelta(hours=8))
# The named parameter of each template (${receipt}, ${item}: Alibaba refuses names such as
# id or site).
PARAMETERS = {"merged": "receipt", "answered": "receipt", "supported_answered": "item"}


def encode(value: str) -> str:
    """Percent-encoding as the signature needs it (RFC 3986, UTF-8)."""
    return quote(value, safe="-_.~")


def signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{encode('/')}&{encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class Aliyun:
    name = "aliyun"

    def __init__(self, settings: sms.Settings) -> None:
        self.settings = settings
        self.url = settings.endpoint or f"https://{HOST}/"

    def call(self, action: str, params: dict[str, str]) -> sms.Answer:
        signed = {
            "AccessKeyId": self.settings.key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.settings.region or "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": VERSION,
            **params,
        }
        signed["Signature"] = signature(signed, self.settings.key_secret)
        body = "&".join(f"{encode(k)}={encode(v)}" for k, v in signed.items()).encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return sms.post(self.url, body, headers, self.settings.timeout)

    def send(self, phone: str, event: str, param: str, tag: str) -> sms.Outcome:
        params = {
            "PhoneNumbers": phone,
            "SignName": self.settings.sign_name,
            "TemplateCode": self.settings.templates[event],
            "TemplateParam": json.dumps({PARAMETERS[event]: param}),
            "OutId": tag,
        }
        answer = self.call("SendSms", params)
        if answer.status is None:
            return sms.without_answer(answer)
        found = sms.decode(answer)
        kept = sms.mask_numbers(answer.body)
        if found is None or "Code" not in found:
            kind = sms.TRANSIENT if answer.status >= 500 else sms.UNKNOWN
            return sms.Outcome(kind, code=f"HTTP {answer.status}", response=kept)
        code = str(found["Code"])
        if code == "OK":
            return sms.Outcome(sms.OK, provider_id=found.get("BizId"), code=code, response=kept)
        return sms.Outcome(sms.classify(code, HALT, TRANSIENT), code=code, response=kept)

    def query(self, phone: str, tag: str, since: int) -> sms.Outcome | None:
        """The record of the message tagged `tag` to `phone`, sent on the China date of
        `since` or the day after; None when there is none; LookupError when unknown."""
        first = datetime.fromtimestamp(since, CHINA).date()
        days = sorted({first, datetime.fromtimestamp(time.time(), CHINA).date()})
        for day in days:
            params = {
                "PhoneNumber": phone,
                "SendDate": day.strftime("%Y%m%d"),
                "PageSize": "50",
                "CurrentPage": "1",
            }
            answer = self.call("QuerySendDetails", params)
            found = sms.decode(answer)
            if answer.status != 200 or not found or found.get("Code") != "OK":
                raise LookupError(sms.mask_numbers(answer.body or answer.error))
            records = (found.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
            for record in records:
                if record.get("OutId") == tag:
                    status = int(record.get("SendStatus") or 0)
                    return sms.Outcome(
                        sms.OK,
                        code=str(status),
                        response=sms.mask_numbers(json.dumps(record, ensure_ascii=False)),
                        delivered={1: None, 2: False, 3: True}.get(status),
                    )
        return None

    def replies(self) -> list[sms.Reply]:
        """Alibaba pushes replies to us (feedback.web.sms); nothing to pull."""
        return []
