"""Personal information (个人信息保护法): phone numbers are shown masked everywhere except
where a staff member deliberately reveals one."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    """13812345678 -> 138****5678."""
    if not phone:
        return ""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"
