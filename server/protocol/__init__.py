"""Every message on the wire (see `messages`); `from server import protocol as P` gives all of it."""
from .messages import *  # noqa: F401,F403
from .messages import _Msg, _Out  # noqa: F401
