"""Scale-out tests and their harness (cluster.py), also used by bench/scale.py."""
