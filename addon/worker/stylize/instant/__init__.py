"""Instant style: feed-forward arbitrary style transfer (Ghiasi et al. 2017), one network pass per
frame. ``networks`` holds the two networks, ``weights`` loads the shipped weights, ``stylize`` is the
I/O-free core the job calls."""
