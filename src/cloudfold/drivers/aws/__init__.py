"""The AWS driver (boto3): EC2 instances, VPCs, subnets and EBS volumes per region; S3
buckets and Route 53 zones and records account-wide.

boto3 is an optional dependency (extra ``aws``): nothing here imports it at package import
time, so the registry can report a missing SDK instead of failing.
"""
