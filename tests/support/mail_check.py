"""Reads a message with Python's email package and prints what a test checks, as JSON.

  mail_check.py FILE.eml

{"headers": {name: [decoded values]}, "parts": [{"type", "charset", "text"}]}
Header values are decoded (RFC 2047) by the email package's default policy; the text of each
part is decoded from its transfer encoding and charset.
"""

import email
import email.policy
import json
import sys

with open(sys.argv[1], "rb") as f:
    message = email.message_from_binary_file(f, policy=email.policy.default)

headers = {}
for name, value in message.items():
    headers.setdefault(name.lower(), []).append(str(value))

parts = []
for part in message.walk():
    if part.is_multipart():
        continue
    parts.append({
        "type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "text": part.get_content(),
    })

print(json.dumps({
    "headers": headers,
    "content_type": message.get_content_type(),
    "defects": [type(d).__name__ for d in message.defects],
    "parts": parts,
}, ensure_ascii=False))
