"""The tamper-evident log, pure: how a record becomes bytes and a salted digest (canonical), the
RFC 6962 Merkle tree over those digests (merkle), the checkpoint that leaves the Pi
(checkpoint), and the verifiers that name the first altered, missing or reordered record
(verify). No I/O: the store hands rows in, the commands print the verdicts.
"""
