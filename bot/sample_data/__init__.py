"""The bundled SMF feed that `make run` relays from (a capture of a real SMF 2.1 forum)."""
