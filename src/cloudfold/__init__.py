"""cloudfold: one self-hosted control plane for many clouds."""

__version__ = "0.1.0"
