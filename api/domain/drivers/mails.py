"""The texts of the mails about an account.

None of them carries anything a user typed (no name, no free text): they go to addresses nobody has confirmed yet,
and whoever registers with a stranger's address must not be able to put words into a mail to that stranger.
"""

from __future__ import annotations

import msgspec

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"
CHANGE_EMAIL = "change_email"
REGISTRATION_ATTEMPT = "registration_attempt"
ADDRESS_IN_USE = "address_in_use"


class AccountMail(msgspec.Struct, frozen=True):
    kind: str
    subject: str
    body: str


def verification(link: str) -> AccountMail:
    return AccountMail(
        VERIFY_EMAIL,
        "Confirm your email address",
        "Hello,\n\nplease confirm your email address for Voltway by opening this link:\n\n"
        f"{link}\n\nThe link is valid for 3 days. If you did not create an account, ignore this message.\n",
    )


def email_change(link: str) -> AccountMail:
    return AccountMail(
        VERIFY_EMAIL,
        "Confirm your new email address",
        "Hello,\n\nsomeone asked to use this address for their Voltway account. To confirm it, open this link:\n\n"
        f"{link}\n\nThe link is valid for 3 days. If it was not you, ignore this message.\n",
    )


def password_reset(code: str, confirm_url: str) -> AccountMail:
    return AccountMail(
        PASSWORD_RESET,
        "Reset your password",
        "Hello,\n\nsomeone asked to reset the password of your Voltway account.\n"
        f"Enter this code in the app to choose a new password (valid for 1 hour):\n\n{code}\n\n"
        f"Apps and scripts send it to POST {confirm_url}.\n"
        "If it was not you, ignore this message: your password stays as it is.\n",
    )


def registration_attempt(reset_url: str) -> AccountMail:
    return AccountMail(
        REGISTRATION_ATTEMPT,
        "Someone tried to register with your address",
        "Hello,\n\nsomeone tried to create a new Voltway account with this email address, which already has an "
        "account. Nothing was changed.\n\nIf it was you, sign in instead; if you forgot your password, ask for a "
        f"reset code in the app (or POST {reset_url}).\nIf it was not you, ignore this message.\n",
    )


def address_in_use() -> AccountMail:
    return AccountMail(
        ADDRESS_IN_USE,
        "Someone tried to use your address",
        "Hello,\n\nsomeone tried to move another Voltway account to this email address, which already has an "
        "account. Nothing was changed, and your account stays as it is.\nIf it was not you, ignore this message.\n",
    )
