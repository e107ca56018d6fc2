"""OCPP 1.6J and 2.0.1 central system: websocket server, message handlers, command registry and charger simulator."""
