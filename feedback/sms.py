"""What both SMS providers (feedback.sms_tencent, feedback.sms_aliyun) share: their settings,
the outcome of a request, and one small HTTP call through the standard library.

The providers' official SDKs pull in dozens of modules for two requests; their signing is a
page of documented steps, done here with hmac and hashlib and checked in the tests against
a fake provider that recomputes the signature from the documentation.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Kinds of outcome: ok (accepted by the provider), transient (not accepted: try again
# later), permanent (refused for good: a bad number), halt (our configuration is wrong:
# keys, signature name, template; stop the run, keep the message), unknown (the request may
# or may not have reached the provider: ask it before sending again).
OK, TRANSIENT, PERMANENT, HALT, UNKNOWN = "ok", "transient", "permanent", "halt", "unknown"


# The approved template of each event (feedback.notify.TEXTS): FEEDBACK_SMS_TEMPLATE_<name>.
TEMPLATE_KEYS = {"merged": "MERGED", "answered": "ANSWERED", "supported_answered": "SUPPORTED"}


@dataclass(frozen=True)
class Settings:
    """The provider configuration (FEEDBACK_SMS_*), handed to the domain as plain values."""

    provider: str  # "tencent" or "aliyun"
    key_id: str  # Tencent SecretId / Alibaba AccessKeyId
    key_secret: str  # Tencent SecretKey / Alibaba AccessKeySecret
    sign_name: str  # 签名, as approved in the provider's console
    templates: dict[str, str]  # event -> template id (Tencent) or code (Alibaba)
    sdk_app_id: str = ""  # Tencent SmsSdkAppId
    region: str = ""
    endpoint: str = ""  # another address (a test's fake provider); default the real one
    timeout: float = 10.0


def settings_from(config: Mapping[str, Any]) -> Settings | None:
    """The provider settings from the app's configuration; None when no provider is set
    (then nothing is sent and the outbox says so). Raises ValueError naming what is missing."""
    provider = (config.get("FEEDBACK_SMS_PROVIDER") or "").strip().lower()
    if not provider:
        return None
    if provider not in ("tencent", "aliyun"):
        raise ValueError(f"FEEDBACK_SMS_PROVIDER must be tencent or aliyun, not {provider!r}")
    needed = ["FEEDBACK_SMS_KEY_ID", "FEEDBACK_SMS_KEY_SECRET", "FEEDBACK_SMS_SIGN_NAME"]
    needed += [f"FEEDBACK_SMS_TEMPLATE_{name}" for name in TEMPLATE_KEYS.values()]
    if provider == "tencent":
        needed.append("FEEDBACK_SMS_SDK_APP_ID")
    missing = [key for key in needed if not config.get(key)]
    if missing:
        raise ValueError(f"FEEDBACK_SMS_PROVIDER is {provider} but {', '.join(missing)} unset")
    return Settings(
        provider=provider,
        key_id=str(config["FEEDBACK_SMS_KEY_ID"]),
        key_secret=str(config["FEEDBACK_SMS_KEY_SECRET"]),
        sign_name=str(config["FEEDBACK_SMS_SIGN_NAME"]),
        templates={
            event: str(config[f"FEEDBACK_SMS_TEMPLATE_{name}"])
            for event, name in TEMPLATE_KEYS.items()
        },
        sdk_app_id=str(config.get("FEEDBACK_SMS_SDK_APP_ID") or ""),
        region=str(config.get("FEEDBACK_SMS_REGION") or ""),
        endpoint=str(config.get("FEEDBACK_SMS_ENDPOINT") or ""),
        timeout=float(config.get("FEEDBACK_SMS_TIMEOUT") or 10),
    )


@dataclass
class Outcome:
    kind: str
    provider_id: str | None = None  # Tencent SerialNo / Alibaba BizId
    code: str = ""
    response: str = ""  # the provider's answer, phone numbers masked, kept for audit
    delivered: bool | None = None  # from a status query: None while no receipt yet


@dataclass
class Reply:
    phone: str
    text: str
    at: int  # unix time


@dataclass
class Answer:
    status: int | None
    body: str
    error: str = ""
    headers: dict = field(default_factory=dict)


_PHONE = re.compile(r"(\+?86)?(1\d{2})\d{4}(\d{4})")


def mask_numbers(text: str) -> str:
    """A provider's answer with every mobile number masked, before it is stored."""
    return _PHONE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(3)}", text)


def post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """One POST; never raises. status None means no answer came back (refused, timed out)."""
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(response.status, response.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode("utf-8", "replace"))
    except urllib.error.URLError as error:
        refused = isinstance(error.reason, ConnectionRefusedError)
        return Answer(None, "", "refused" if refused else f"unreachable: {error.reason}")
    except TimeoutError as error:
        return Answer(None, "", f"timeout: {error}")
    except OSError as error:
        return Answer(None, "", f"connection: {error}")


def without_answer(answer: Answer) -> Outcome:
    """No answer: a refused connection never reached the provider (try again); a timeout
    or a dropped connection may have (ask before sending again)."""
    kind = TRANSIENT if answer.error == "refused" else UNKNOWN
    return Outcome(kind, code=answer.error, response=answer.error)


def decode(answer: Answer) -> dict | None:
    try:
        value = json.loads(answer.body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def classify(code: str, halt_codes: tuple[str, ...], transient_words: tuple[str, ...]) -> str:
    """A provider error code as one of our kinds."""
    if code.startswith(halt_codes):
        return HALT
    if any(word in code for word in transient_words):
        return TRANSIENT
    return PERMANENT
