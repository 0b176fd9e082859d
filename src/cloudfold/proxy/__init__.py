"""The load balancers' and the gateway's data plane: one HAProxy process that cloudfold renders
one configuration for (`config.render`, from plain descriptions the domain builds from the
database), applies only when the text changed, reloads through the master CLI without dropping
other listeners' connections, supervises (restarts it when it died), and reads target health
from (`show stat`). docs/architecture.md, "Load balancers and the gateway"."""

from cloudfold.proxy.config import Balancer, Health, Route, Server, render
from cloudfold.proxy.haproxy import Haproxy, ProxyError

__all__ = ["Balancer", "Haproxy", "Health", "ProxyError", "Route", "Server", "render"]
