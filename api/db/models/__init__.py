"""All tables; importing this package registers every model on `Base.metadata`."""

from api.db.base import Base
from api.db.models.accounts import AccountToken, RefreshToken, User
from api.db.models.mail import MailMessage

__all__ = ["AccountToken", "Base", "MailMessage", "RefreshToken", "User"]
