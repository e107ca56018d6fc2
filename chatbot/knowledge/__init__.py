"""The assistant's knowledge as data: keyword groups, intent rules, replies, playbooks, OCPP error codes, vendors."""
