"""The Proxmox VE driver: QEMU VMs and LXC containers of a Proxmox VE node or cluster, through
the PVE HTTP API (``proxmoxer``, https backend). Needs the optional extra ``cloudfold[proxmox]``."""
