"""Pure rules engine of the troubleshooting assistant: intents, dialogue and knowledge base; no I/O."""
