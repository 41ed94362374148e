"""`python -m server.protocol > docs/protocol.md`: print the generated protocol reference."""
from .docs import render_protocol_doc

print(render_protocol_doc(), end="")
