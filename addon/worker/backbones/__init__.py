"""Pretrained image networks shared by the capabilities (style losses, deep features for colour
transfer, texture quality metrics). Each backbone module offers ``load(device, pooling)`` returning a
``VggFeatures`` network with a ``preprocess`` for display-referred RGB in [0, 1]."""
