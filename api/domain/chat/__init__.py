"""The troubleshooting assistant in the API: conversations, the assistant's view of our network, remote actions."""
