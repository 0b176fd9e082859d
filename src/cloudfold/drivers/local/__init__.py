"""The local cloud's engine driver: containers, networks and volumes of a Docker Engine API
(Docker, or Podman's compatible socket)."""
