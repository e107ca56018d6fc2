"""Our chargers over OCPP: provisioning, the bridge's backend, commands and the relay between processes."""
