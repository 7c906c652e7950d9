"""The AWS-recorded conformance cases, the comparison with them and the CLI scorer (see README.md)."""
