"""Seed 003's local cloud (VPCs, subnets, volumes, instances) on the built-in `local` engine:
real engine objects made through drivers/local/provision.py, recorded as inventory Resources
owned by their creator, with their seed 003 fields in `cloud_objects`."""
