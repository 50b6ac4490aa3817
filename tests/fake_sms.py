"""A fake SMS provider on 127.0.0.1, in the test process: Tencent Cloud SMS (API 3.0) or
Alibaba Cloud SMS (dysmsapi), as their documentation defines them.

It checks every request's signature by recomputing it from the request and the secret,
written here from the documentation and independently of feedback.sms_tencent /
sms_aliyun, and answers a wrong one with the provider's own error. It records the messages
a phone would receive (the template rendered with its parameters), can refuse the next
sends with a provider's transient error, answer slowly, and answers status queries and
(Tencent) reply pulls.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote

KEY_ID, KEY_SECRET = "AKIDfakeSecretId0001", "fake-secret-key-0001"
APP_ID, SIGN = "1400000001", "码上提"
TEMPLATES = {"merged": "1000001", "answered": "1000002", "supported_answered": "1000003"}
ALIYUN_TEMPLATES = {
    "merged": "SMS_10000001",
    "answered": "SMS_10000002",
    "supported_answered": "SMS_10000003",
}
_CHINA = timezone(timedelta(hours=8))  # Alibaba's send dates are China dates


class FakeSms:
    def __init__(self, kind: str, link_base: str = "https://feedback.example.gov.cn") -> None:
        self.kind = kind
        self.messages: list[dict] = []
        self.rejected: list[str] = []  # error codes of refused requests
        self.replies: list[dict] = []  # (Tencent) waiting to be pulled
        self.fail_next = 0
        self.delay = 0.0
        self.nonces: set[str] = set()
        self.lock = threading.Lock()
        ids = TEMPLATES if kind == "tencent" else ALIYUN_TEMPLATES
        var = "{1}" if kind == "tencent" else "${receipt}"
        item = "{1}" if kind == "tencent" else "${item}"
        self.texts = {
            ids["merged"]: f"【{SIGN}】您反映的意见已并入代表建议,正在办理。"
            f"查看进展:{link_base}/t/{var} 回复TD退订",
            ids["answered"]: f"【{SIGN}】您反映的意见已有答复,请查看并评价:"
            f"{link_base}/t/{var} 回复TD退订",
            ids["supported_answered"]: f"【{SIGN}】您也遇到的问题已有答复,请查看:"
            f"{link_base}/b/{item} 回复TD退订",
        }
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = fake.handle(self.headers, body)
                data = json.dumps(answer, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client died (a SIGKILL test): what was recorded stays

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeSms:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def env(self) -> dict[str, str]:
        """The configuration pointing `feedback` at this fake."""
        ids = TEMPLATES if self.kind == "tencent" else ALIYUN_TEMPLATES
        return {
            "FEEDBACK_SMS_PROVIDER": self.kind,
            "FEEDBACK_SMS_KEY_ID": KEY_ID,
            "FEEDBACK_SMS_KEY_SECRET": KEY_SECRET,
            "FEEDBACK_SMS_SDK_APP_ID": APP_ID,
            "FEEDBACK_SMS_SIGN_NAME": SIGN,
            "FEEDBACK_SMS_TEMPLATE_MERGED": ids["merged"],
            "FEEDBACK_SMS_TEMPLATE_ANSWERED": ids["answered"],
            "FEEDBACK_SMS_TEMPLATE_SUPPORTED": ids["supported_answered"],
            "FEEDBACK_SMS_ENDPOINT": self.url,
        }

    def tags(self) -> list[str]:
        return [m["tag"] for m in self.messages]

    # --- the two providers -------------------------------------------------------------

    def handle(self, headers, body: bytes) -> tuple[int, dict]:
        return (self._tencent if self.kind == "tencent" else self._aliyun)(headers, body)

    def _record(self, phone: str, template: str, params, tag: str, serial: str) -> None:
        text = self.texts[template]
        for name, value in params.items():
            text = text.replace(name, value)
        with self.lock:
            self.messages.append(
                {
                    "phone": phone,
                    "template": template,
                    "tag": tag,
                    "text": text,
                    "id": serial,
                    "at": int(time.time()),
                }  # fmt: skip
            )

    def _fits(self, template: str, values: dict) -> bool:
        """The parameters are exactly the approved template's variables."""
        return set(re.findall(r"\$?\{\w+\}", self.texts[template])) == set(values)

    def _transient(self) -> bool:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
        return False

    # Tencent: TC3-HMAC-SHA256 as "Signature v3" describes it.
    def _tencent(self, headers, body: bytes) -> tuple[int, dict]:
        request_id = str(uuid.uuid4())

        def error(code: str, message: str) -> tuple[int, dict]:
            self.rejected.append(code)
            return 200, {"Response": {"Error": {"Code": code, "Message": message},
                                      "RequestId": request_id}}  # fmt: skip

        problem = self._tencent_signature(headers, body)
        if problem:
            return error(*problem)
        action, params = headers["X-TC-Action"], json.loads(body)
        if params.get("SmsSdkAppId") != APP_ID:
            return error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId not exist.")
        if action == "SendSms":
            return self._tencent_send(params, request_id)
        if action == "PullSmsSendStatusByPhoneNumber":
            phone = params["PhoneNumber"].removeprefix("+86")
            found = [
                {"SerialNo": m["id"], "PhoneNumber": "+86" + m["phone"], "SubscriberNumber":
                 m["phone"], "ReportStatus": "SUCCESS", "SessionContext": m["tag"],
                 "UserReceiveTime": m["at"], "CountryCode": "86", "Description": "DELIVRD"}
                for m in self.messages
                if m["phone"] == phone and params["BeginTime"] <= m["at"] <= params["EndTime"]
            ]  # fmt: skip
            return 200, {"Response": {"PullSmsSendStatusSet": found, "RequestId": request_id}}
        if action == "PullSmsReplyStatus":
            with self.lock:
                pulled, self.replies = self.replies, []
            return 200, {"Response": {"PullSmsReplyStatusSet": pulled, "RequestId": request_id}}
        return error("InvalidAction", f"action {action} not found")

    def _tencent_send(self, params: dict, request_id: str) -> tuple[int, dict]:
        if self._transient():
            status = {"Code": "LimitExceeded.PhoneNumberThirtySecondLimit",
                      "Message": "the number of sms messages sent from a single mobile number "
                      "within 30 seconds exceeds the upper limit"}  # fmt: skip
            return 200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}}
        if params.get("SignName") != SIGN or params.get("TemplateId") not in self.texts:
            return 200, {
                "Response": {
                    "Error": {
                        "Code": "FailedOperation.TemplateIncorrectOrUnapproved",
                        "Message": "template is not approved or not exist",
                    },
                    "RequestId": request_id,
                }
            }
        phone = params["PhoneNumberSet"][0].removeprefix("+86")
        serial = f"2640:{uuid.uuid4().hex[:20]}"
        values = {f"{{{i}}}": v for i, v in enumerate(params["TemplateParamSet"], 1)}
        if not self._fits(params["TemplateId"], values):
            return 200, {"Response": {"Error": {
                "Code": "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                "Message": "request content does not match the approved template content"},
                "RequestId": request_id}}  # fmt: skip
        self._record(phone, params["TemplateId"], values, params.get("SessionContext", ""),
                     serial)  # fmt: skip
        time.sleep(self.delay)  # accepted, then slow to answer
        status = {"SerialNo": serial, "PhoneNumber": "+86" + phone, "Fee": 1,
                  "SessionContext": params.get("SessionContext", ""), "Code": "Ok",
                  "Message": "send success", "IsoCode": "CN"}  # fmt: skip
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}}

    def _tencent_signature(self, headers, body: bytes) -> tuple[str, str] | None:
        auth = headers.get("Authorization") or ""
        if not auth.startswith("TC3-HMAC-SHA256 "):
            return "AuthFailure.SignatureFailure", "no TC3-HMAC-SHA256 Authorization"
        fields = dict(part.strip().split("=", 1) for part in auth[16:].split(","))
        secret_id, date, service, terminator = fields["Credential"].split("/")
        if secret_id != KEY_ID:
            return "AuthFailure.SecretIdNotFound", "The SecretId is not found."
        timestamp = int(headers.get("X-TC-Timestamp") or 0)
        if abs(time.time() - timestamp) > 300:
            return "AuthFailure.SignatureExpire", "Signature expire."
        signed = fields["SignedHeaders"].split(";")
        if date != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") or (
            service != "sms" or terminator != "tc3_request"
            or not {"content-type", "host"} <= set(signed)
        ):  # fmt: skip
            return "AuthFailure.SignatureFailure", "bad credential scope or signed headers"
        canonical_headers = "".join(
            f"{name}:{(headers.get(name) or '').strip().lower()}\n" for name in signed
        )
        canonical = "POST\n/\n\n" + canonical_headers + "\n" + ";".join(signed) + "\n"
        canonical += hashlib.sha256(body).hexdigest()
        scope = f"{date}/sms/tc3_request"
        to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n"
        to_sign += hashlib.sha256(canonical.encode()).hexdigest()
        key = ("TC3" + KEY_SECRET).encode()
        for part in (date, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get("Signature", "")):
            return ("AuthFailure.SignatureFailure",
                    "The provided credentials could not be validated.")  # fmt: skip
        return None

    # Alibaba: RPC signature version 1.0 (HMAC-SHA1), parameters in the POST form body.
    def _aliyun(self, headers, body: bytes) -> tuple[int, dict]:
        request_id = str(uuid.uuid4())
        params = dict(parse_qsl(body.decode("ascii"), keep_blank_values=True))
        problem = self._aliyun_signature(params)
        if problem:
            self.rejected.append(problem[1]["Code"])
            return problem[0], dict(problem[1], RequestId=request_id)
        action = params["Action"]
        if action == "SendSms":
            if self._transient():
                code = "isv.BUSINESS_LIMIT_CONTROL"
                return 200, {"Code": code, "Message": "触发分钟级流控Permits:1",
                             "RequestId": request_id}  # fmt: skip
            if params["SignName"] != SIGN or params["TemplateCode"] not in self.texts:
                return 200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL",
                             "Message": "模板不合法", "RequestId": request_id}  # fmt: skip
            biz = f"{int(time.time())}^{uuid.uuid4().hex[:10]}"
            values = {f"${{{k}}}": v for k, v in json.loads(params["TemplateParam"]).items()}
            if not self._fits(params["TemplateCode"], values):
                return 200, {"Code": "isv.TEMPLATE_MISSING_PARAMETERS",
                             "Message": "模板缺少变量", "RequestId": request_id}  # fmt: skip
            self._record(params["PhoneNumbers"], params["TemplateCode"], values,
                         params.get("OutId", ""), biz)  # fmt: skip
            time.sleep(self.delay)
            return 200, {"Code": "OK", "Message": "OK", "BizId": biz, "RequestId": request_id}
        if action == "QuerySendDetails":
            day = params["SendDate"]
            found = [
                {"PhoneNum": m["phone"], "SendStatus": 3, "ErrCode": "DELIVERED",
                 "TemplateCode": m["template"], "Content": m["text"], "OutId": m["tag"],
                 "SendDate": datetime.fromtimestamp(m["at"], _CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                 "ReceiveDate": ""}
                for m in self.messages
                if m["phone"] == params["PhoneNumber"]
                and datetime.fromtimestamp(m["at"], _CHINA).strftime("%Y%m%d") == day
            ]  # fmt: skip
            return 200, {"Code": "OK", "Message": "OK", "TotalCount": len(found),
                         "SmsSendDetailDTOs": {"SmsSendDetailDTO": found},
                         "RequestId": request_id}  # fmt: skip
        return 404, {"Code": "InvalidAction.NotFound", "Message": "Specified api is not found"}

    def _aliyun_signature(self, params: dict) -> tuple[int, dict] | None:
        given = params.pop("Signature", "")
        if params.get("AccessKeyId") != KEY_ID:
            return 404, {"Code": "InvalidAccessKeyId.NotFound",
                         "Message": "Specified access key is not found."}  # fmt: skip
        nonce = params.get("SignatureNonce", "")
        if nonce in self.nonces:
            return 400, {"Code": "SignatureNonceUsed",
                         "Message": "Specified signature nonce was used already."}  # fmt: skip
        self.nonces.add(nonce)
        stamp = datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ")
        if abs(time.time() - stamp.replace(tzinfo=UTC).timestamp()) > 900:
            return 400, {"Code": "InvalidTimeStamp.Expired",
                         "Message": "Specified time stamp or date value is expired."}  # fmt: skip
        canonical = "&".join(
            f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(params.items())
        )
        to_sign = "POST&" + quote("/", safe="") + "&" + quote(canonical, safe="")
        key = (KEY_SECRET + "&").encode()
        expected = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha1).digest())
        if not hmac.compare_digest(expected.decode(), given):
            return 400, {"Code": "SignatureDoesNotMatch", "HostId": "dysmsapi.aliyuncs.com",
                         "Message": "Specified signature is not matched with our calculation. "
                         f"server string to sign is:{to_sign}",
                         "Recommend": "https://next.api.aliyun.com/troubleshoot"}  # fmt: skip
        return None
