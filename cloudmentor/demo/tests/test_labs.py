"""The demo labs can be followed as written (LX-6: the lesson experience)."""

from __future__ import annotations

import re
from pathlib import Path

COURSES = Path(__file__).resolve().parents[1] / "catalog" / "courses"


def test_lx6_the_ec2_s3_lab_names_its_bucket_once_and_uses_that_name_everywhere() -> None:
    """The lab created `s3://cm-demo-$RANDOM` and then copied to `s3://cm-demo-12345`: a learner
    following it hit "NoSuchBucket". Every command must use the bucket the lab created."""
    lab = (COURSES / "aws-fondamentaux" / "04-ec2-et-s3.md").read_text(encoding="utf-8")

    buckets = set(re.findall(r"s3://([^/\s\"']+)", lab))

    assert buckets == {"$BUCKET"}, buckets
    assert re.search(r'^export BUCKET="cm-demo-[^"]*\$RANDOM[^"]*"$', lab, re.M)
    # The instance's start-up script is written with the name in it (the variable is not set there).
    assert "<<EOF" in lab and "cat > install-nginx.sh" in lab
