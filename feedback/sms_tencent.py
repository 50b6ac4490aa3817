"""Tencent Cloud SMS (腾讯云短信), API 3.0 version 2021-01-11, signed with TC3-HMAC-SHA256.

The signature, as Tencent Cloud's "Signature v3" documents it: a canonical request (method,
URI "/", empty query, the lower-case signed headers content-type, host and x-tc-action, the
hex SHA-256 of the JSON body), hashed into a string to sign with the timestamp and the
credential scope <UTC date>/sms/tc3_request, then HMAC-SHA256 under a key derived by
chaining HMACs of "TC3" + SecretKey over the date, the service and "tc3_request".

Messages carry our outbox tag as SessionContext. Status reports (PullSmsSendStatusByPhone
Number) echo it back only where Tencent has enabled it for the account, so an interrupted
send is matched by that tag when present, else by a report for the same number since the
claim (one villager rarely gets two texts a minute). Replies (回复TD退订) are pulled with
PullSmsReplyStatus, which hands out each reply once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

from feedback import sms

HOST = "sms.tencentcloudapi.com"
SERVICE = "sms"
VERSION = "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host;x-tc-action"
HALT = ("AuthFailure", "UnauthorizedOperation", "FailedOperation.SignatureIncorrectOrUnapproved",
        "FailedOperation.TemplateIncorrectOrUnapproved", "InvalidParameterValue.SdkAppId",
        "FailedOperation.InsufficientBalanceInSmsPackage")  # fmt: skip
TRANSIENT = ("LimitExceeded", "RequestLimitExceeded", "InternalError", "ServiceUnavailable")
BLACKLISTED = "FailedOperation.PhoneNumberInBlacklist"  # the villager replied TD to us


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def canonical_request(host: str, action: str, body: bytes) -> str:
    """Step 1 of TC3-HMAC-SHA256: the request as the signature sees it."""
    headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:{action.lower()}\n"
    return "\n".join(["POST", "/", "", headers, SIGNED_HEADERS, hashlib.sha256(body).hexdigest()])


def authorization(
    secret_id: str, secret_key: str, host: str, action: str, body: bytes, timestamp: int
) -> str:
    """The Authorization header of one POST, per TC3-HMAC-SHA256."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = canonical_request(host, action, body)
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        ]
    )
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), SERVICE), "tc3_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    )


class Tencent:
    name = "tencent"

    def __init__(self, settings: sms.Settings) -> None:
        self.settings = settings
        self.url = settings.endpoint or f"https://{HOST}"
        self.host = self.url.split("://", 1)[1].split("/", 1)[0]

    def call(self, action: str, params: dict) -> sms.Answer:
        body = json.dumps(params, ensure_ascii=False).encode("utf-8")
        now = int(time.time())
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Host": self.host,
            "X-TC-Action": action,
            "X-TC-Version": VERSION,
            "X-TC-Timestamp": str(now),
            "X-TC-Region": self.settings.region or "ap-guangzhou",
            "Authorization": authorization(
                self.settings.key_id, self.settings.key_secret, self.host, action, body, now
            ),
        }
        return sms.post(self.url, body, headers, self.settings.timeout)

    def send(self, phone: str, event: str, param: str, tag: str) -> sms.Outcome:
        params = {
            "PhoneNumberSet": [f"+86{phone}"],
            "SmsSdkAppId": self.settings.sdk_app_id,
            "SignName": self.settings.sign_name,
            "TemplateId": self.settings.templates[event],
            "TemplateParamSet": [param],
            "SessionContext": tag,
        }
        answer = self.call("SendSms", params)
        if answer.status is None:
            return sms.without_answer(answer)
        response = (sms.decode(answer) or {}).get("Response")
        kept = sms.mask_numbers(answer.body)
        if not isinstance(response, dict):
            kind = sms.TRANSIENT if answer.status >= 500 else sms.UNKNOWN
            return sms.Outcome(kind, code=f"HTTP {answer.status}", response=kept)
        if "Error" in response:
            code = str(response["Error"].get("Code", ""))
            return sms.Outcome(sms.classify(code, HALT, TRANSIENT), code=code, response=kept)
        status = (response.get("SendStatusSet") or [{}])[0]
        code = str(status.get("Code", ""))
        if code == "Ok":
            return sms.Outcome(sms.OK, provider_id=status.get("SerialNo"), code=code, response=kept)
        kind = sms.PERMANENT if code == BLACKLISTED else sms.classify(code, HALT, TRANSIENT)
        return sms.Outcome(kind, code=code, response=kept)

    def query(self, phone: str, tag: str, since: int) -> sms.Outcome | None:
        """The report of a message sent since `since` (unix time): an Outcome when Tencent
        has it, None when it has none, raising LookupError when it cannot tell."""
        params = {
            "BeginTime": since,
            "EndTime": int(time.time()) + 60,
            "Offset": 0,
            "Limit": 100,
            "PhoneNumber": f"+86{phone}",
            "SmsSdkAppId": self.settings.sdk_app_id,
        }
        answer = self.call("PullSmsSendStatusByPhoneNumber", params)
        response = (sms.decode(answer) or {}).get("Response")
        if answer.status != 200 or not isinstance(response, dict) or "Error" in response:
            raise LookupError(sms.mask_numbers(answer.body or answer.error))
        reports = response.get("PullSmsSendStatusSet") or []
        tagged = [r for r in reports if r.get("SessionContext") == tag]
        untagged = [r for r in reports if not r.get("SessionContext")]
        found = (tagged or untagged or [None])[0]
        if found is None:
            return None
        return sms.Outcome(
            sms.OK,
            provider_id=found.get("SerialNo"),
            code=str(found.get("ReportStatus", "")),
            response=sms.mask_numbers(json.dumps(found, ensure_ascii=False)),
            delivered=found.get("ReportStatus") == "SUCCESS",
        )

    def replies(self) -> list[sms.Reply]:
        """Replies not pulled before (each is handed out once)."""
        answer = self.call(
            "PullSmsReplyStatus", {"Limit": 100, "SmsSdkAppId": self.settings.sdk_app_id}
        )
        response = (sms.decode(answer) or {}).get("Response")
        if answer.status != 200 or not isinstance(response, dict) or "Error" in response:
            raise LookupError(sms.mask_numbers(answer.body or answer.error))
        return [
            sms.Reply(
                str(r.get("SubscriberNumber") or r.get("PhoneNumber") or ""),
                str(r.get("ReplyContent") or ""),
                int(r.get("ReplyTime") or 0),
            )
            for r in response.get("PullSmsReplyStatusSet") or []
        ]
